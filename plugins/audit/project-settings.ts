// Per-project observability settings, kept in `projects.settings.observability`: retention of audit events and tool
// calls, and opt-in capture of tool-call arguments with redaction rules. Off by default: arguments may hold anything.
import { z } from 'zod'
import type { Glob } from '../glob.ts'
import { keyPatterns, REDACTED, redact } from './redact.ts'

export const OBSERVABILITY_SETTING = 'observability'
/** Captured arguments larger than this (as JSON) are stored as a note of their size only. */
export const MAX_CAPTURED_BYTES = 16 * 1024

export const observabilitySettings = z
  .object({
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .nullable()
      .default(null)
      .describe("days to keep this project's audit events and tool calls; null: the audit plugin's default"),
    captureArguments: z.boolean().default(false).describe('store the arguments of each tool call (redacted)'),
    redactKeys: z
      .array(
        z
          .string()
          .min(1)
          .max(100)
          .regex(/^[A-Za-z0-9_.*-]+$/, 'letters, digits, _ . - and the wildcard *'),
      )
      .max(100)
      .default([])
      .describe('argument keys (globs, any depth, case-insensitive) whose values are replaced; secrets always are'),
  })
  .strict()
export type ObservabilitySettings = z.infer<typeof observabilitySettings>

/** The settings of a project row (defaults when absent or malformed: a bad value must not start capturing). */
export function settingsOf(projectSettings: Record<string, unknown>): ObservabilitySettings {
  const parsed = observabilitySettings.safeParse(projectSettings[OBSERVABILITY_SETTING] ?? {})
  return parsed.success ? parsed.data : observabilitySettings.parse({})
}

export interface Capture {
  /** Compiled redaction rules. */
  keys: Glob | null
}

/** What is stored for one call's arguments: redacted, or only its size when too large. */
export function captureArguments(args: unknown, argsSize: number, capture: Capture): unknown {
  if (args === undefined) return null
  if (argsSize > MAX_CAPTURED_BYTES) return { [REDACTED]: `arguments of ${argsSize} bytes not captured` }
  return redact(args, 0, capture.keys)
}

export function compileCapture(s: ObservabilitySettings): Capture | null {
  return s.captureArguments ? { keys: keyPatterns(s.redactKeys) } : null
}
