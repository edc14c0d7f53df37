import { securitySuitesPassIn } from '../helpers/security-matrix.js';

securitySuitesPassIn('federated', 'redis');
