import requests

GITHUB_TOKEN = "@@GITHUB_TOKEN@@"


def headers():
    return {"Authorization": "token " + GITHUB_TOKEN}
