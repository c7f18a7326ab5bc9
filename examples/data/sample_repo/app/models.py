"""Domain objects of the sample inventory service."""
from dataclasses import dataclass

DEFAULT_CURRENCY = "EUR"


@dataclass
class Item:
    sku: str
    price_cents: int

    def price(self):
        return format_money(self.price_cents)


class Inventory:
    def __init__(self):
        self.items = {}

    def add(self, item):
        self.items[item.sku] = item

    def total_cents(self):
        return sum(i.price_cents for i in self.items.values())


def format_money(cents):
    return "%d.%02d %s" % (cents // 100, cents % 100, DEFAULT_CURRENCY)
