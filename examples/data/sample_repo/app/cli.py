#!/usr/bin/env python3
"""Command line entry point."""
import sys

from app.service import report


def main(argv):
    print(report(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
