// Renders the item list.
import { fetchItems } from "./api";

export function renderTotal(items) {
  return items.reduce((sum, it) => sum + it.priceCents, 0);
}

export async function show(base) {
  const items = await fetchItems(base);
  return renderTotal(items);
}
