// The worker thread on which a member replays its log for watches older than
// the in-memory window (lib/history's replay thread imports this module by
// URL): the replays apply entries with the member's own state machine.

import { serveReplays } from '../history/index.js';
import { historyCodec } from '../state/index.js';

serveReplays(historyCodec);
