import type { FastifyInstance, FastifyRequest } from 'fastify';
import { nestsDeeperThan, tooDeep } from '../core/jsonDepth';

/** A JSON body kept as its text, for a route that reads it elsewhere (`RestRoute.readBody`). */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Reads a JSON body as the server reads every one (throws its 400s). */
export type ReadJson = (req: FastifyRequest, text: string) => unknown;

/**
 * The app's one JSON body parser: only JSON bodies (any other type is 415); an empty body is no
 * body (clone and delete take none); prototype keys are refused, and so is nesting deeper than 64
 * levels. A route whose config has `jsonText` gets the text instead (a `JsonText`), and reads it
 * itself, or with the returned function, which gives the same answers.
 */
export function registerJsonBodies(app: FastifyInstance): ReadJson {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const readJson: ReadJson = (req, text) => {
    if (nestsDeeperThan(text)) throw tooDeep();
    let parsed: { error: Error | null; value: unknown } = { error: null, value: undefined };
    parseJson(req, text, (error, value) => {
      parsed = { error, value };
    });
    if (parsed.error) throw parsed.error;
    return parsed.value;
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    if ((req.routeOptions.config as { jsonText?: boolean }).jsonText) return done(null, new JsonText(text));
    try {
      done(null, readJson(req, text));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  return readJson;
}
