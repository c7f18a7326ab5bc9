// HTTP client for the inventory service.
export interface ItemDto {
  sku: string;
  priceCents: number;
}

export async function fetchItems(base: string): Promise<ItemDto[]> {
  const res = await fetch(base + "/items");
  return (await res.json()) as ItemDto[];
}
