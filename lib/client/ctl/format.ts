// etcdctl's printResponseKey: how a key response is shown in each --output format.

import { type KeysResponse, responseJson } from '../index.js';
import type { Ctx } from './context.js';

export function printResponseKey(ctx: Ctx, resp: KeysResponse, format: string): void {
  const node = resp.node;
  switch (format) {
    case 'simple':
      if (resp.action !== 'delete') ctx.out(`${node?.value ?? ''}\n`);
      else ctx.out(`PrevNode.Value: ${resp.prevNode?.value ?? ''}\n`);
      return;
    case 'extended': {
      let s = `Key: ${node?.key ?? ''}\nCreated-Index: ${node?.createdIndex ?? 0}\nModified-Index: ${node?.modifiedIndex ?? 0}\n`;
      if (resp.prevNode) s += `PrevNode.Value: ${resp.prevNode.value}\n`;
      s += `TTL: ${node?.ttl ?? 0}\nIndex: ${resp.index}\n`;
      if (resp.action !== 'delete') s += `\n${node?.value ?? ''}\n`;
      ctx.out(s);
      return;
    }
    case 'json':
      ctx.out(responseJson(resp) + '\n');
      return;
    default:
      ctx.err(`Unsupported output format: ${format}\n`);
  }
}
