import { describe, expect, it, vi } from 'vitest';
import { CardError, collectCard, type CardElement, type StripeClient } from './stripeJs';

const element: CardElement = { mount: vi.fn(), destroy: vi.fn() };

function client(overrides: Partial<StripeClient>): StripeClient {
  return {
    elements: vi.fn(),
    createPaymentMethod: vi.fn().mockResolvedValue(undefined),
    createToken: vi.fn().mockResolvedValue(undefined),
    ...overrides,
  } as StripeClient;
}

describe('collectCard', () => {
  it('uses the PaymentMethod Stripe.js creates', async () => {
    const stripe = client({ createPaymentMethod: vi.fn().mockResolvedValue({ paymentMethod: { id: 'pm_1' } }) });
    await expect(collectCard(stripe, element)).resolves.toBe('pm_1');
    expect(stripe.createToken).not.toHaveBeenCalled();
  });

  it("falls back to a token's card when Stripe.js makes no PaymentMethod", async () => {
    const stripe = client({ createToken: vi.fn().mockResolvedValue({ token: { id: 'tok_1', card: { id: 'card_1' } } }) });
    await expect(collectCard(stripe, element)).resolves.toBe('card_1');
  });

  it('reports what Stripe.js says about a bad card', async () => {
    const stripe = client({ createToken: vi.fn().mockResolvedValue({ error: { message: 'Your card number is incorrect.', code: 'incorrect_number' } }) });
    const error = await collectCard(stripe, element).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardError);
    expect((error as CardError).message).toBe('Your card number is incorrect.');
    expect((error as CardError).code).toBe('incorrect_number');
  });

  it('fails when there is neither a PaymentMethod nor a card', async () => {
    await expect(collectCard(client({}), element)).rejects.toThrow(CardError);
  });
});
