// The deployment. With no edits, `npm start` serves on port 8080 with the embedded store in ./data
// (DATABASE_URL switches to PostgreSQL); see the README for every field and environment variable.
import { apiKeys, audit, defineConfig, metrics, rateLimits, sessions, toolPolicies } from './config/index.ts'

export default defineConfig({
  listen: { host: '0.0.0.0', port: 8080 },
  plugins: [
    sessions(),
    apiKeys(),
    toolPolicies(),
    rateLimits(),
    audit(),
    metrics({ bearerToken: process.env.MCPO_METRICS_TOKEN }),
  ],
})
