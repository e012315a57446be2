/**
 * @module cli/commands/demo
 * `tcpwin demo` (what `npm start` runs): the main job on the bundled example — analyse
 * assets/rcvbuf-1024.pcap (a receiver with SO_RCVBUF=1024, made by
 * scripts/make-bundled-capture.sh) and print the verdict.
 */
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { exitQuietlyOnClosedPipe, runAnalyze } from "./analyze.js";
import { durationArg } from "../options.js";

/** dist/cli/commands/demo.js and src/cli/commands/demo.ts are both three levels below the package root. */
export const BUNDLED_CAPTURE = fileURLToPath(new URL("../../../assets/rcvbuf-1024.pcap", import.meta.url));

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .summary("run the main job on the bundled example (what `npm start` does)")
    .description(
      "Analyses the capture bundled with tcpwin (assets/rcvbuf-1024.pcap): a receiver on port 9876\n" +
        "that set SO_RCVBUF=1024 — RocketMQ's serverSocketRcvBufSize=1024 — before listen(), so it\n" +
        "advertises a window of one or two MSS (574 B) and the sender waits a round trip per segment.",
    )
    .option("--json", "print the analysis as JSON")
    .option("--deadline <time>", "the time the 100 KiB should take: the fix names the buffer that meets it", durationArg)
    .action((opts: { json?: boolean; deadline?: number }) => {
      exitQuietlyOnClosedPipe();
      if (!opts.json) {
        process.stdout.write(
          "Bundled capture: 102 400 bytes sent to a receiver that set SO_RCVBUF=1024 before listen()\n" +
            "(what RocketMQ's serverSocketRcvBufSize=1024 does). Made by scripts/make-bundled-capture.sh.\n\n",
        );
      }
      runAnalyze(BUNDLED_CAPTURE, { json: opts.json, deadline: opts.deadline }, (s) => process.stdout.write(s), "assets/rcvbuf-1024.pcap");
      if (!opts.json) {
        process.stdout.write(
          "\nNext: the same analysis on your capture: tcpwin analyze FILE.pcap [--deadline 3s]\n" +
            "      the incident's numbers (RTT 1.66 ms, 2 MB, 3 s timeout): tcpwin model --size 2079208 --rtt 1.66ms --mss 574 --rcvbuf 1024 --deadline 3s\n",
        );
      }
    });
}
