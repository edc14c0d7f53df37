// One server of the catalogue scenario in a process of its own (see catalogueTarget in scenarios/catalogue.ts).
// Usage: node --import tsx bench/catalogue-host.ts <json args>; answers over IPC like bench/host.ts.
import type { HttpTarget } from './common.js';
import { answerParent } from './host-channel.js';
import { startGatehouseCatalogue, startListCeiling, startSdkCatalogue, type GatehouseCatalogueOptions } from './scenarios/catalogue-servers.js';

export type CatalogueHostArgs = ({ kind: 'gatehouse' } & GatehouseCatalogueOptions) | { kind: 'sdk' | 'list-ceiling'; name: string; size: number };

const args = JSON.parse(process.argv[2]!) as CatalogueHostArgs;

function start(): Promise<HttpTarget> {
  switch (args.kind) {
    case 'gatehouse':
      return startGatehouseCatalogue(args);
    case 'sdk':
      return startSdkCatalogue(args.name, args.size);
    case 'list-ceiling':
      return startListCeiling(args.name, args.size);
  }
}

answerParent(await start());
