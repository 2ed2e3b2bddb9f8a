/** Routing tables by name, as Talos prints them, and the numbers the kernel uses. */
const named: Readonly<Record<string, number>> = { unspec: 0, default: 253, main: 254, local: 255 };

/** The kernel number of a table name (`main` → 254, `180` → 180). */
export function tableNumber(table: string): number {
  return named[table] ?? (table === '' ? 254 : Number(table));
}

/** The name Talos prints for a kernel table number (254 → `main`). */
export function tableName(table: number): string {
  for (const [name, n] of Object.entries(named)) if (n === table) return name;
  return String(table);
}
