/** The Stock screens' calls to the server (online only) and their shapes. */
import { useCallback } from 'react';
import { ApiError, type Schemas, call } from '../../api/client';
import { useTill } from '../session';

export type Transfer = Schemas['TransferOut'];
export type Delivery = Schemas['DeliveryOut'];
export type Count = Schemas['CountOut'];

export const errorText = (error: unknown) => (error instanceof ApiError ? error.detail : 'No answer from the server: stock needs the network.');

export function useApi() {
  const { session } = useTill();
  return useCallback(<T,>(method: string, path: string, body?: unknown) => call<T>({ baseUrl: location.origin, token: session.token }, method, path, body), [session.token]);
}
