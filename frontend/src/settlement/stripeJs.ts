/**
 * The small part of Stripe.js the web app uses, loaded from the URL the server gives (Stripe's own, or
 * localstripe's stand-in in test mode), and a card collected as the id the pay endpoint takes.
 */

export interface StripeError {
  message?: string;
  code?: string;
}

export interface CardElement {
  mount(target: HTMLElement): void;
  destroy(): void;
}

interface StripeElements {
  create(type: 'card', options?: Record<string, unknown>): CardElement;
}

type MethodResult = { paymentMethod?: { id: string }; error?: StripeError | null } | undefined;
type TokenResult = { token?: { id: string; card?: { id: string } }; error?: StripeError | null } | undefined;

export interface StripeClient {
  elements(): StripeElements;
  createPaymentMethod(data: { type: 'card'; card: CardElement }): Promise<MethodResult>;
  createToken(element: CardElement): Promise<TokenResult>;
}

export type StripeFactory = (publishableKey: string) => StripeClient;

declare global {
  interface Window {
    Stripe?: StripeFactory;
  }
}

/** A card the browser could not turn into a payment method (declined or mistyped). */
export class CardError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'CardError';
  }
}

const loads = new Map<string, Promise<StripeFactory>>();

/** Loads Stripe.js once per URL (a script tag, as Stripe requires) and gives its `Stripe` factory. */
export function loadStripeJs(url: string, doc: Document = document): Promise<StripeFactory> {
  const known = loads.get(url);
  if (known) return known;
  const loading = new Promise<StripeFactory>((resolve, reject) => {
    const script = doc.createElement('script');
    script.src = url;
    script.async = true;
    script.onload = () => (window.Stripe ? resolve(window.Stripe) : reject(new Error('Stripe.js loaded without Stripe')));
    script.onerror = () => reject(new Error(`Stripe.js could not be loaded from ${url}`));
    doc.head.appendChild(script);
  });
  loads.set(url, loading);
  loading.catch(() => loads.delete(url));
  return loading;
}

function cardError(error: StripeError): CardError {
  return new CardError(error.message || error.code || 'card error', error.code);
}

/**
 * The id of a payment method for the card in `element`: a PaymentMethod from Stripe.js, or, where
 * Stripe.js cannot make one (localstripe's stand-in), the card of a token.
 */
export async function collectCard(stripe: StripeClient, element: CardElement): Promise<string> {
  const made = await stripe.createPaymentMethod({ type: 'card', card: element });
  if (made?.error) throw cardError(made.error);
  if (made?.paymentMethod?.id) return made.paymentMethod.id;
  const token = await stripe.createToken(element);
  if (token?.error) throw cardError(token.error);
  const id = token?.token?.card?.id;
  if (!id) throw new CardError('Stripe.js returned no card', undefined);
  return id;
}
