import { Eta } from 'eta';
import { join } from 'node:path';
import { VIEWS_DIR } from '../http/views.js';
import type { MailKind } from './transport.js';

export const MAIL_VIEWS_DIR = join(VIEWS_DIR, 'mail');

/** What every mail template sees as `it`. */
export interface MailModel {
  tenantName: string;
  to: string;
  code: string;
  /** a BCP 47 tag for `<html lang>`; the wording itself is English for now */
  locale: string;
  /** the tenant's branding background, a CSS hex colour */
  backgroundColor: string;
}

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** Renders `views/mail/<kind>/{subject,body.html,body.txt}.eta`. */
export interface MailViews {
  render(kind: MailKind, model: MailModel): RenderedMail;
}

export function createMailViews(dir = MAIL_VIEWS_DIR): MailViews {
  // Two eta instances over the same folder: HTML bodies are auto-escaped like the hosted pages, while
  // subjects and text bodies are plain text, where escaping would show the reader `&amp;`. The plain
  // one also keeps every newline (eta trims the one after a tag by default, which would glue lines).
  const html = new Eta({ views: dir, autoEscape: true, cache: true, useWith: false });
  const plain = new Eta({ views: dir, autoEscape: false, autoTrim: false, cache: true, useWith: false });
  return {
    render(kind, model) {
      // One line, whatever the display name holds: a subject is a header, and a newline in it is not text.
      const subject = plain.render(`./${kind}/subject.eta`, model).replace(/\s+/g, ' ').trim();
      return {
        subject,
        html: html.render(`./${kind}/body.html.eta`, { ...model, subject }),
        text: `${plain.render(`./${kind}/body.txt.eta`, model).trim()}\n`,
      };
    },
  };
}
