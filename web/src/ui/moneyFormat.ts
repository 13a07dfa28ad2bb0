/** Money as the store's locale writes it ("$1,805.95", "1.805,95 €"), from the exact decimal string. */
const formats = new Map<string, Intl.NumberFormat>();

export function formatMoney(amount: string, currency: string, locale = 'en-US'): string {
  const key = `${locale}|${currency}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formats.set(key, format);
  }
  // A decimal string is formatted as the exact decimal it is (Intl.NumberFormat v3), never via a float.
  return format.format(amount as unknown as number);
}
