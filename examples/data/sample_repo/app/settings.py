import os

DEBUG = False
DATABASE_URL = "postgresql://app:@@DB_PASSWORD@@@db.internal:5432/app"
password = os.environ.get("APP_PASSWORD")
default_password = "changeme"
