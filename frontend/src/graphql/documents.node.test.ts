// @vitest-environment node
import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DOCUMENTS } from './documents';

const schema = buildSchema(readFileSync(new URL('../../../openapi/schema.graphql', import.meta.url), 'utf8'));

const ROOT = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() };

describe('GraphQL documents', () => {
  for (const [name, text] of Object.entries(DOCUMENTS)) {
    it(`${name} is valid against openapi/schema.graphql (or its root field has not landed yet)`, () => {
      const document = parse(text);
      const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
      const root = ROOT[operation.operation];
      const firstField = operation.selectionSet.selections[0];
      const rootField = firstField?.kind === 'Field' ? firstField.name.value : '';
      // A document written against a contract still being built is checked once its root field exists.
      if (!root?.getFields()[rootField]) return;
      expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    });
  }

  it('checks at least the queries that exist today', () => {
    expect(validate(schema, parse(DOCUMENTS.ME_QUERY))).toEqual([]);
  });
});
