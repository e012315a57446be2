/**
 * @module cli/commands/demo
 * `tcpwin demo` (what `npm start` runs): the main job on a bundled default. Until capture
 * analysis exists, that is the model on the incident's numbers.
 */
import type { Command } from "commander";
import { runModel } from "../../model/index.js";
import { renderModel } from "./model.js";

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .summary("run the main job on the bundled example (what `npm start` does)")
    .action(() => {
      process.stdout.write(
        "The incident: a RocketMQ broker registers a 2 079 208-byte topic table with its name server,\n" +
          "whose config sets serverSocketRcvBufSize=1024. RTT 1.66 ms, MSS 574, 3 s request timeout.\n\n",
      );
      const r = runModel({
        sizeBytes: 2079208,
        rttSec: 0.00166,
        mss: 574,
        rcvbuf: 1024,
        kernel: { major: 6, minor: 18 },
        kernelSource: "as measured for the reference notes",
        deadlineSec: 3,
      });
      process.stdout.write(renderModel(r));
    });
}
