// Entry of the embeddable bundle (mcpo-embed.js): the four standalone views, for pages outside the console.
// Build it with `node --import tsx admin-ui/build-embed.ts`; admin-ui/examples/embed.html shows the use.
import './components/mcpo-embed.ts'

export { McpoEmbedActivity, McpoEmbedKeys, McpoEmbedMembers, McpoEmbedServers } from './components/mcpo-embed.ts'
