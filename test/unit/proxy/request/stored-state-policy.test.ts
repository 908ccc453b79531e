import { expect } from 'chai';
import { ProxyError } from '../../../../src/proxy/errors/proxy-error.ts';
import {
  forceStoreOff,
  refuseBackground,
  refuseItemReferences,
  refuseStoredReferences,
} from '../../../../src/proxy/request/stored-state-policy.ts';

function refusedFor(check: (json: Record<string, unknown>) => void, json: Record<string, unknown>): string {
  try {
    check(json);
  } catch (err) {
    expect(err).to.be.instanceOf(ProxyError);
    expect((err as ProxyError).code).to.equal('stored_state_denied');
    expect((err as ProxyError).status).to.equal(403);
    return (err as ProxyError).message;
  }
  expect.fail(`${JSON.stringify(json)} was accepted`);
}

describe('stored-state policy', () => {
  it('refuses a reference to stored objects anywhere in the body, naming it', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['previous_response_id', { previous_response_id: 'resp_1' }],
      ['conversation', { conversation: { id: 'conv_1' } }],
      ['file_id', { messages: [{ content: [{ type: 'file', file: { file_id: 'file-1' } }] }] }],
      ['vector_store_ids', { tools: [{ type: 'x', vector_store_ids: [] }] }],
      ['container', { tools: [{ type: 'code_interpreter', container: 'cntr_1' }] }],
      ['file_search', { tools: [{ type: 'file_search' }] }],
      ['item_reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }],
      ['item_reference', { input: [{ role: 'user', content: [{ type: 'item_reference', id: 'x' }] }] }],
      [
        'file source',
        { messages: [{ content: [{ type: 'document', source: { type: 'file', file_id: 'f' } }] }] },
      ],
    ];
    for (const [what, json] of cases) expect(refusedFor(refuseStoredReferences, json), what).to.include(what);
  });

  it('lets null references and ordinary bodies through', () => {
    refuseStoredReferences({ previous_response_id: null, conversation: null, input: 'hi' });
    refuseStoredReferences({ input: [{ type: 'message', role: 'user', id: 'msg_1', content: 'hi' }] });
    refuseStoredReferences({ messages: [{ role: 'user', content: 'item_reference' }] });
  });

  it('refuses a Responses input item with an id and neither type nor role: the API reads it as a reference', () => {
    expect(refusedFor(refuseItemReferences, { input: [{ id: 'msg_1' }] })).to.include('item_reference');
    expect(refusedFor(refuseItemReferences, { input: ['x', { id: 'msg_1', type: null }] })).to.include(
      'item_reference',
    );
    refuseItemReferences({ input: [{ id: 'msg_1', role: 'user', content: 'hi' }] });
    refuseItemReferences({ input: [{ type: 'message', id: 'msg_1', role: 'assistant', content: [] }] });
    refuseItemReferences({ input: 'hi' });
    refuseItemReferences({ input: [{ id: null }] });
  });

  it('refuses background runs, only when true', () => {
    expect(refusedFor(refuseBackground, { background: true })).to.include('background');
    refuseBackground({ background: false });
    refuseBackground({});
  });

  it('forces store off, saying whether the body changed', () => {
    const json: Record<string, unknown> = { store: true };
    expect(forceStoreOff(json)).to.equal(true);
    expect(json.store).to.equal(false);
    expect(forceStoreOff(json)).to.equal(false);
    const unset: Record<string, unknown> = {};
    expect(forceStoreOff(unset)).to.equal(true);
    expect(unset.store).to.equal(false);
  });
});
