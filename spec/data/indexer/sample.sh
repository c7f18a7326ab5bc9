#!/bin/bash
PREFIX=/usr/local
greet() {
  echo "hello $1"
}
greet world
