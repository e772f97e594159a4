// Reading a whole response of node:http / node:https, for tests that need what fetch() would not send or accept.
import type { ClientRequest } from "node:http";

export interface TextResponse {
  status: number;
  body: string;
}

/**
 * Ends `req` (sending `body`, if any) and resolves with the status and the UTF-8 body of its response; rejects on a
 * request or response error.
 */
export function textResponse(req: ClientRequest, body?: string): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.end(body);
  });
}
