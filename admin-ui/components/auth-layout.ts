// The centred card the signed-out pages (sign-in, first-run set-up, invitation) share.
import { css } from 'lit'

export const authLayout = css`
  :host {
    display: grid;
    place-items: center;
    min-height: 100vh;
    padding: 24px 14px;
  }
  .panel {
    width: 100%;
    max-width: 400px;
  }
  .brand {
    display: flex;
    align-items: center;
    gap: 10px;
    font-weight: 700;
    font-size: 1.25rem;
    letter-spacing: -0.02em;
    margin-bottom: 20px;
    justify-content: center;
  }
  .logo {
    width: 32px;
    height: 32px;
    border-radius: 8px;
    background: var(--accent);
    color: #fff;
    display: grid;
    place-items: center;
  }
  .card {
    padding: 26px 26px 22px;
  }
  h1 {
    font-size: 1.25rem;
    margin-bottom: 4px;
  }
  .lead {
    color: var(--muted);
    margin-bottom: 20px;
    font-size: 0.875rem;
  }
  .card > .alert {
    margin-bottom: 16px;
  }
  form {
    display: flex;
    flex-direction: column;
    gap: 14px;
  }
  form button[type='submit'] {
    width: 100%;
    min-height: 38px;
  }
  .or {
    display: flex;
    align-items: center;
    gap: 10px;
    color: var(--muted);
    font-size: 0.75rem;
    margin: 16px 0;
  }
  .or::before,
  .or::after {
    content: '';
    flex: 1;
    height: 1px;
    background: var(--border);
  }
  .sso {
    width: 100%;
  }
  .foot {
    text-align: center;
    margin-top: 16px;
    font-size: 0.8125rem;
    color: var(--muted);
  }
`
