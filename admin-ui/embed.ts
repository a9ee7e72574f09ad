// Entry of the embeddable bundle (mcpo-embed.js): the four standalone views, for pages outside the console.
// Build it with `node --import tsx admin-ui/build-embed.ts`; admin-ui/examples/embed.html shows the use.
export { McpoEmbedActivity } from './components/mcpo-embed-activity.ts'
export { McpoEmbedKeys } from './components/mcpo-embed-keys.ts'
export { McpoEmbedMembers } from './components/mcpo-embed-members.ts'
export { McpoEmbedServers } from './components/mcpo-embed-servers.ts'
