// UI-2's elements register here: the Tools and Activity tabs, the server detail modal with its test runner, server
// import and the catalog picker, the admin pages, the favorite star. The app shell imports this file once.
import './mcpo-tools-tab.ts'
import './mcpo-activity-tab.ts'
import './mcpo-server-detail.ts'
import './mcpo-server-import.ts'
import './mcpo-catalog-picker.ts'
import './mcpo-admin-users.ts'
import './mcpo-admin-catalog.ts'
import './mcpo-admin-project-templates.ts'
import './mcpo-admin-status.ts'
import './mcpo-favorite-toggle.ts'
