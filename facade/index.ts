import type { Logger } from 'pino';
import {
  type RunningComponent,
  startComponent,
} from '../src/platform/component/start-component.ts';
import { createFacadeComponent } from './component.ts';
import type { FacadeConfig } from './config.ts';

export { createFacadeComponent, type FacadeOptions } from './component.ts';
export { type FacadeConfig, facadeConfigSchema, loadFacadeConfig } from './config.ts';
export { FACADE_MIGRATIONS } from './database.ts';
export { verifyAcross } from './extraction/verify-across.ts';

export const facadeComponent = createFacadeComponent();

export type Facade = RunningComponent;

export function startFacade(config: FacadeConfig, logger: Logger): Promise<Facade> {
  return startComponent(facadeComponent, config, logger);
}
