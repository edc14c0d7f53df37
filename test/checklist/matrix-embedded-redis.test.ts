import { securitySuitesPassIn } from '../helpers/security-matrix.js';

securitySuitesPassIn('embedded', 'redis');
