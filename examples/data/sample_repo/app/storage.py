"""Reads the item table (sku,cents per line)."""


def load_rows(path):
    rows = []
    with open(path) as fh:
        for line in fh:
            sku, cents = line.strip().split(",")
            rows.append((sku, int(cents)))
    return rows
