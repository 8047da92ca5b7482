/**
 * Custom search attributes ops filter on in the Temporal UI and `temporal workflow list --query`.
 * The same list registers them in the dev server flags, at worker start-up and in docker-compose.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SEARCH_ATTRIBUTES = {
  PaymentKind: 'Keyword',
  PaymentStatus: 'Keyword',
  UserCode: 'Keyword',
  AmountPaise: 'Int',
  ProviderRef: 'Keyword',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;

export const PaymentKindKey = defineSearchAttributeKey('PaymentKind', SearchAttributeType.KEYWORD);
export const PaymentStatusKey = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
export const UserCodeKey = defineSearchAttributeKey('UserCode', SearchAttributeType.KEYWORD);
export const AmountPaiseKey = defineSearchAttributeKey('AmountPaise', SearchAttributeType.INT);
export const ProviderRefKey = defineSearchAttributeKey('ProviderRef', SearchAttributeType.KEYWORD);
