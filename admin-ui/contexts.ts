// The values the app shell provides to every view below it, keyed by symbols so no two contexts can collide.
import { createContext } from '@lit/context'
import type { ApiClient } from './api-client.ts'
import type { Project, User } from './api-types.ts'
import type { Router } from './router.ts'

/** The one API client of the page (cookie session) or of an embedded view (bearer token). */
export const apiContext = createContext<ApiClient>(Symbol('mcpo:api'))

/** The signed-in user; null before sign-in. */
export const userContext = createContext<User | null>(Symbol('mcpo:user'))

/** The project the page shows, with the caller's role in it; null outside a project. */
export const projectContext = createContext<Project | null>(Symbol('mcpo:project'))

/** Navigation: the current route and `navigate()`. */
export const routerContext = createContext<Router>(Symbol('mcpo:router'))
