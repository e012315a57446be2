/**
 * @module cli/commands/demo
 * `tcpwin demo` (what `npm start` runs): the main job on the bundled example — analyse
 * assets/rcvbuf-1024.pcap (a receiver with SO_RCVBUF=1024, made by
 * scripts/make-bundled-capture.sh) and print the verdict.
 */
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { exitQuietlyOnClosedPipe } from "./analyze.js";
import { durationArg } from "../options.js";

/** dist/cli/commands/demo.js and src/cli/commands/demo.ts are both three levels below the package root. */
export const BUNDLED_CAPTURE = fileURLToPath(new URL("../../../assets/rcvbuf-1024.pcap", import.meta.url));

/**
 * The incident's deadline scaled to the bundled transfer: RocketMQ's 3 s timeout for the
 * 2 079 208-byte registration is a required rate of 693 kB/s; the bundled 102 400 bytes at that
 * rate get 148 ms.
 */
export const DEMO_DEADLINE_SEC = (102_400 * 3) / 2_079_208;

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .summary("run the main job on the bundled example (what `npm start` does)")
    .description(
      "Analyses the capture bundled with tcpwin (assets/rcvbuf-1024.pcap): a receiver on port 9876" +
        " that set SO_RCVBUF=1024 — RocketMQ's serverSocketRcvBufSize=1024 — before listen(), so it" +
        " advertises a window of one or two MSS (574 B) and the sender waits a round trip per segment.",
    )
    .option("--json", "print the analysis as JSON")
    .option("--deadline <time>", "the time the 100 KiB should take (default: 148 ms, the incident's 3 s for 2 MB scaled down)", durationArg)
    .action(async (opts: { json?: boolean; deadline?: number }) => {
      exitQuietlyOnClosedPipe();
      const { runAnalyze } = await import("./analyze-run.js");
      if (!opts.json) {
        process.stdout.write(
          "Bundled capture: 102 400 bytes sent over a 1.66 ms link to a receiver that set SO_RCVBUF=1024\n" +
            "before listen() (what RocketMQ's serverSocketRcvBufSize=1024 does); made by scripts/make-bundled-capture.sh.\n" +
            (opts.deadline === undefined ? "Deadline 148 ms: the incident's 3 s timeout for 2 079 208 B, scaled to these 102 400 B.\n\n" : "\n"),
        );
      }
      runAnalyze(BUNDLED_CAPTURE, { json: opts.json, deadline: opts.deadline ?? DEMO_DEADLINE_SEC }, (s) => process.stdout.write(s), "assets/rcvbuf-1024.pcap");
      if (!opts.json) {
        process.stdout.write(
          "\nNext: the same analysis on your capture: tcpwin analyze FILE.pcap [--deadline 3s]\n" +
            "      the incident's numbers (RTT 1.66 ms, 2 MB, 3 s timeout): tcpwin model --size 2079208 --rtt 1.66ms --mss 574 --rcvbuf 1024 --deadline 3s\n",
        );
      }
    });
}
