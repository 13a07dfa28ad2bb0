/**
 * Gift cards at the till: sell one (a physical card's number scanned or typed, or a new e-card
 * with a number made here), or check a card's balance (asked of the server; any till).
 */
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, Tab, Tabs, TextField } from '@mui/material';
import { useState } from 'react';
import { masked, newCardNumber, readCardNumber } from '../../domain/giftCards';
import { dec } from '../../domain/money';
import type { CartGiftCard, GiftCardKind } from '../../data/types';
import { AMOUNT, Row, money } from './format';

export function GiftCardDialog({
  onClose,
  onSell,
  balanceOf,
}: {
  onClose: () => void;
  onSell: (card: CartGiftCard) => void;
  /** The card's balance from the server; null when the server cannot be reached. */
  balanceOf: (number: string) => Promise<{ card: string; balance: string } | null>;
}) {
  const [tab, setTab] = useState<'sell' | 'balance'>('sell');
  const [number, setNumber] = useState('');
  const [kind, setKind] = useState<GiftCardKind>('physical');
  const [amount, setAmount] = useState('');
  const [answer, setAnswer] = useState<{ card: string; balance: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const read = readCardNumber(number);
  const sell = () => {
    if (!read || !AMOUNT.test(amount.trim()) || dec(amount).lte(0)) return;
    onSell({ key: crypto.randomUUID(), number: read, amount: dec(amount).toFixed(2), kind });
  };
  const check = async () => {
    setProblem(null);
    setAnswer(null);
    if (!read) return;
    try {
      const found = await balanceOf(read);
      if (found) setAnswer(found);
      else setProblem('The server cannot be reached: a balance is asked online.');
    } catch (e) {
      setProblem(e instanceof Error && e.message.startsWith('404') ? `No gift card ${masked(read)}.` : String(e));
    }
  };
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Gift card</DialogTitle>
      <DialogContent>
        <Tabs value={tab} onChange={(_, v: 'sell' | 'balance') => setTab(v)} sx={{ mb: 2 }}>
          <Tab value="sell" label="Sell" data-testid="gift-card-sell-tab" />
          <Tab value="balance" label="Balance" data-testid="gift-card-balance-tab" />
        </Tabs>
        <Stack direction="row" spacing={1}>
          <TextField
            fullWidth
            autoFocus
            label="Card number"
            value={number}
            onChange={(e) => {
              setNumber(e.target.value);
              setKind('physical');
            }}
            error={!!number && !read}
            helperText={number && !read ? '8 to 32 digits or letters' : ' '}
            slotProps={{ htmlInput: { 'data-testid': 'gift-card-dialog-number', autoComplete: 'off' } }}
          />
          {tab === 'sell' && (
            <Button
              onClick={() => {
                setNumber(newCardNumber());
                setKind('e_card');
              }}
              data-testid="new-e-card"
              sx={{ whiteSpace: 'nowrap', alignSelf: 'flex-start', mt: 1 }}
            >
              New e-card
            </Button>
          )}
        </Stack>
        {tab === 'sell' ? (
          <TextField
            fullWidth
            label="Amount"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            error={!!amount && !AMOUNT.test(amount.trim())}
            slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'gift-card-amount' } }}
          />
        ) : (
          <>
            {answer && <Row label={`Balance of ${answer.card}`} value={money(dec(answer.balance))} strong testId="gift-card-balance" />}
            {problem && <Alert severity="warning">{problem}</Alert>}
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        {tab === 'sell' ? (
          <Button variant="contained" onClick={sell} disabled={!read || !AMOUNT.test(amount.trim())} data-testid="gift-card-add">
            Add to sale
          </Button>
        ) : (
          <Button variant="contained" onClick={() => void check()} disabled={!read} data-testid="gift-card-check">
            Check balance
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}
