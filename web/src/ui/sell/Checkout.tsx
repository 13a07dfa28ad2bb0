/**
 * Payment: tenders (cash, card, quick notes) until the sale is paid, then change due. The amount
 * has the focus; Enter takes it as cash and completes the sale once it is paid (so Enter alone is
 * exact cash); "Exact cash" does the same in one tap.
 *
 * A scan while paying goes to the cart: the tenders taken stay, the due grows in plain sight
 * ("Added … while paying: due is now …, was …"), an amount the cashier typed is kept, and the
 * sale cannot be completed until the scanned item is in the cart and priced.
 */
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, List, ListItemButton, ListItemText, Stack, TextField } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import { Decimal, ZERO, dec, moneyStr } from '../../domain/money';
import { changeDue } from '../../domain/refunds';
import { masked, readCardNumber } from '../../domain/giftCards';
import type { TenderMethod } from '../../data/types';
import { AMOUNT, Row, money } from './format';

export type Tender = { method: TenderMethod; amount: Decimal; cardNumber?: string };

/** True when these tenders pay the sale in a way the till accepts (change only from cash). */
function paysSale(due: Decimal, tenders: Tender[]): boolean {
  try {
    return changeDue(due, tenders) !== null;
  } catch {
    return false;
  }
}

export function Checkout({
  due: dueNow,
  scanning,
  addedWhilePaying,
  onCancel,
  onPaid,
  spendable,
  account = null,
}: {
  /** What the cart comes to; null while a line added during payment is being priced. */
  due: Decimal | null;
  /** A scanned code is still being looked up: it will be in this sale. */
  scanning: boolean;
  /** Names of the items scanned while this dialog was open. */
  addedWhilePaying: string[];
  onCancel: () => void;
  onPaid: (payments: Tender[]) => Promise<void>;
  /** What may be taken from a gift card now (its balance online; the offline allowance else). */
  spendable: (number: string) => Promise<{ amount: Decimal; online: boolean }>;
  /** The sale's customer's account as the till last saw it, with the offline cap; null without a customer. */
  account?: { balance: Decimal; creditLimit: Decimal; offlineCap: Decimal } | null;
}) {
  const [openedAt] = useState(dueNow ?? ZERO);
  const [lastDue, setLastDue] = useState(openedAt);
  if (dueNow !== null && !dueNow.eq(lastDue)) setLastDue(dueNow);
  const due = dueNow ?? lastDue;
  const settling = dueNow === null || scanning;
  const [payments, setPayments] = useState<Tender[]>([]);
  const paid = payments.reduce((s, p) => s.plus(p.amount), ZERO);
  const remaining = Decimal.max(ZERO, due.minus(paid));
  const [amount, setAmount] = useState(moneyStr(due));
  // The amount follows what is still due while it holds what the till put there (a scan typed
  // into it and taken out again included); an amount the cashier typed is theirs and stays.
  const proposed = useRef(moneyStr(due));
  const follow = useRef(false);
  const [busy, setBusy] = useState(false);
  const [cardNumber, setCardNumber] = useState('');
  const [cardNote, setCardNote] = useState<string | null>(null);
  useEffect(() => {
    const next = moneyStr(remaining);
    const [was, force] = [proposed.current, follow.current];
    setAmount((now) => (force || now === was ? next : now));
    proposed.current = next;
    follow.current = false;
  }, [remaining.toFixed(2)]); // eslint-disable-line react-hooks/exhaustive-deps
  let change: Decimal | null = null;
  let problem: string | null = null;
  try {
    change = changeDue(due, payments);
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  const takePayment = (tender: Tender) => {
    setPayments((p) => [...p, tender]);
    follow.current = true;
  };
  const addPayment = (method: 'cash' | 'card') => {
    if (!AMOUNT.test(amount.trim()) || dec(amount).lte(0)) return;
    const value = dec(amount);
    if (method === 'card' && value.gt(remaining)) return;
    takePayment({ method, amount: value });
  };
  /** The typed amount (at most what is due) from a gift card, within what the card allows. */
  const addGiftCard = async () => {
    const number = readCardNumber(cardNumber);
    if (!number) {
      setCardNote('That is not a gift card number.');
      return;
    }
    if (!AMOUNT.test(amount.trim()) || dec(amount).lte(0)) return;
    const already = payments.filter((p) => p.cardNumber === number).reduce((s, p) => s.plus(p.amount), ZERO);
    const { amount: allowed, online } = await spendable(number);
    const left = Decimal.max(ZERO, allowed.minus(already));
    const take = Decimal.min(dec(amount), remaining, left);
    if (take.lte(0)) {
      setCardNote(online ? `${masked(number)} holds nothing to spend.` : `${masked(number)}: nothing may be taken offline (balance unknown or cap reached).`);
      return;
    }
    setCardNote(`${masked(number)}: ${money(take)} taken${online ? '' : ' offline'}; ${money(left.minus(take))} left${online ? '' : ' to spend offline'}.`);
    setPayments((p) => [...p, { method: 'gift_card', amount: take, cardNumber: number }]);
    setCardNumber('');
  };
  /** Store credit (up to the credit held) or the account (up to credit plus limit); offline within the cap too. */
  const fromAccount = (method: 'store_credit' | 'on_account') => {
    if (!account || !AMOUNT.test(amount.trim()) || dec(amount).lte(0)) return;
    const held = method === 'store_credit' ? account.balance : account.balance.plus(account.creditLimit);
    const taken = payments.filter((p) => p.method === 'store_credit' || p.method === 'on_account').reduce((s, p) => s.plus(p.amount), ZERO);
    const allowed = navigator.onLine ? held : Decimal.min(held, account.offlineCap);
    const take = Decimal.min(dec(amount), remaining, Decimal.max(ZERO, allowed.minus(taken)));
    if (take.gt(0)) setPayments((p) => [...p, { method, amount: take }]);
  };
  const complete = (tenders: Tender[]) => {
    if (busy || settling) return;
    setBusy(true);
    void onPaid(tenders).finally(() => setBusy(false));
  };
  /** Enter: the typed amount as cash; completes the sale when that pays it. */
  const enter = () => {
    if (settling) return;
    if (remaining.isZero()) {
      if (change !== null) complete(payments);
      return;
    }
    if (!AMOUNT.test(amount.trim()) || dec(amount).lte(0)) return;
    const tenders = [...payments, { method: 'cash' as const, amount: dec(amount) }];
    if (paysSale(due, tenders)) complete(tenders);
    else takePayment(tenders[tenders.length - 1]);
  };
  return (
    <Dialog open onClose={onCancel} fullWidth maxWidth="xs" disableRestoreFocus>
      <DialogTitle>Pay {money(due)}</DialogTitle>
      <DialogContent>
        {addedWhilePaying.length > 0 && (
          <Alert severity="info" sx={{ mb: 1 }} data-testid="added-while-paying">
            Added {addedWhilePaying.join(', ')} while paying: due is now {money(due)}, was {money(openedAt)}.
          </Alert>
        )}
        {settling && (
          <Alert severity="info" sx={{ mb: 1 }} data-testid="adding-scan">
            Adding the scanned item…
          </Alert>
        )}
        <TextField
          fullWidth
          label="Amount"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              enter();
            }
          }}
          autoFocus
          onFocus={(e) => e.target.select()}
          slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'pay-amount', 'aria-describedby': 'pay-hint' } }}
          helperText={<span id="pay-hint">Enter: take this amount in cash</span>}
          sx={{ mt: 1 }}
          error={!!amount && !AMOUNT.test(amount.trim())}
        />
        <Button variant="contained" fullWidth sx={{ mt: 1 }} disabled={remaining.isZero() || busy || settling} onClick={() => complete([...payments, { method: 'cash', amount: remaining }])} data-testid="exact-cash">
          Exact cash {money(remaining)}
        </Button>
        <Stack direction="row" spacing={1} sx={{ my: 1 }}>
          <Button variant="outlined" fullWidth onClick={() => addPayment('cash')} data-testid="add-cash">
            Cash
          </Button>
          <Button variant="outlined" fullWidth onClick={() => addPayment('card')} data-testid="add-card" disabled={remaining.isZero()}>
            Card
          </Button>
        </Stack>
        <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
          <TextField
            size="small"
            label="Gift card number"
            value={cardNumber}
            onChange={(e) => setCardNumber(e.target.value)}
            slotProps={{ htmlInput: { 'data-testid': 'gift-card-number', autoComplete: 'off' } }}
            sx={{ flex: 1 }}
          />
          <Button variant="outlined" onClick={() => void addGiftCard()} disabled={remaining.isZero() || !cardNumber} data-testid="add-gift-card">
            Gift card
          </Button>
        </Stack>
        {account && (
          <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
            <Button variant="outlined" fullWidth onClick={() => fromAccount('store_credit')} disabled={remaining.isZero() || account.balance.lte(0)} data-testid="add-store-credit">
              Store credit {money(Decimal.max(ZERO, account.balance))}
            </Button>
            <Button variant="outlined" fullWidth onClick={() => fromAccount('on_account')} disabled={remaining.isZero() || account.balance.plus(account.creditLimit).lte(0)} data-testid="add-on-account">
              On account
            </Button>
          </Stack>
        )}
        {cardNote && (
          <Alert severity="info" sx={{ mb: 1 }} data-testid="gift-card-note">
            {cardNote}
          </Alert>
        )}
        <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap">
          {['10', '20', '50', '100'].map((note) => (
            <Button key={note} size="small" variant="text" onClick={() => takePayment({ method: 'cash', amount: dec(note) })}>
              ${note} cash
            </Button>
          ))}
        </Stack>
        <List dense>
          {payments.map((p, i) => (
            <ListItemButton key={i} onClick={() => setPayments((all) => all.filter((_, j) => j !== i))}>
              <ListItemText primary={`${p.method === 'gift_card' ? `gift card ${masked(p.cardNumber ?? '')}` : p.method.replace('_', ' ')} ${money(p.amount)}`} secondary="tap to remove" />
            </ListItemButton>
          ))}
        </List>
        <Row label="Still due" value={money(remaining)} />
        {change !== null && <Row label="Change due" value={money(change)} strong testId="change-due" />}
        {problem && payments.length > 0 && remaining.isZero() && <Alert severity="warning">{problem}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel}>Back</Button>
        <Button
          variant="contained"
          disabled={change === null || busy || settling}
          data-testid="complete-sale"
          onClick={() => complete(payments)}
        >
          Complete sale
        </Button>
      </DialogActions>
    </Dialog>
  );
}
