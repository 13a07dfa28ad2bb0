/** What the shift screens share: an amount as typed, and money formatted for the shop. */
export const AMOUNT = /^\d+(\.\d{1,2})?$/;

export type Money = (amount: string) => string;
