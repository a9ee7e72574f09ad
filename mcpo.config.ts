// The deployment. With no edits, `npm start` serves this machine only (127.0.0.1:8080) with the embedded store in
// ./data; MCPO_HOST=0.0.0.0 serves other machines too (the image sets it), DATABASE_URL switches to PostgreSQL.
// See the README for every field and environment variable.
import { apiKeys, audit, defineConfig, metrics, rateLimits, sessions, toolPolicies } from './config/index.ts'

export default defineConfig({
  listen: { host: '127.0.0.1', port: 8080 },
  plugins: [
    sessions(),
    apiKeys(),
    toolPolicies(),
    rateLimits(),
    audit(),
    metrics({ bearerToken: process.env.MCPO_METRICS_TOKEN }),
  ],
})
