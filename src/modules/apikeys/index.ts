export { ApiKey } from './api-key.entity.ts';
export { apiKeyEndpoints } from './api-keys.routes.ts';
export { authenticateApiKey, isApiKey, API_KEY_PREFIX } from './api-keys.service.ts';
