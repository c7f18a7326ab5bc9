#!/bin/sh
export AWS_ACCESS_KEY_ID=@@AWS_KEY_ID@@
export STRIPE_SECRET=@@STRIPE_KEY@@
export LOG_LEVEL=info
