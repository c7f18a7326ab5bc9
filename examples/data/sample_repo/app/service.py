"""The service layer: loads items and answers queries."""
from app.models import Inventory, Item, format_money
from app.storage import load_rows


def build_inventory(path):
    inv = Inventory()
    for sku, cents in load_rows(path):
        inv.add(Item(sku, cents))
    return inv


def report(path):
    inv = build_inventory(path)
    return "total: " + format_money(inv.total_cents())
