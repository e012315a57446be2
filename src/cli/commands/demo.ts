/**
 * @module cli/commands/demo
 * `tcpwin demo` (what `npm start` runs): the main job on the bundled example — analyse
 * assets/rocketmq-incident.pcap (a `tcpwin lab incident` run, made by
 * scripts/make-incident-capture.ts) and print the linked verdict: the RocketMQ registration that
 * timed out, the name server's window that held it, and the setting to change.
 */
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { exitQuietlyOnClosedPipe } from "./analyze.js";

/** dist/cli/commands/demo.js and src/cli/commands/demo.ts are both three levels below the package root. */
export const BUNDLED_CAPTURE = fileURLToPath(new URL("../../../assets/rocketmq-incident.pcap", import.meta.url));

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .summary("run the main job on the bundled example (what `npm start` does)")
    .description(
      "Analyses the capture bundled with tcpwin (assets/rocketmq-incident.pcap, a `tcpwin lab incident` run):" +
        " a RocketMQ broker's 2 079 208-byte REGISTER_BROKER to a name server whose config file says" +
        " serverSocketRcvBufSize=1024 (its -D says 1048576; the file wins), over a 1.66 ms link, against a 3 s" +
        " timeout — and the next period's new connection. Prints the verdict that links the exchange to the window.",
    )
    .option("--json", "print the analysis as JSON")
    .action(async (opts: { json?: boolean }) => {
      exitQuietlyOnClosedPipe();
      const { runAnalyze } = await import("./analyze-run.js");
      if (!opts.json) {
        process.stdout.write(
          "Bundled capture: a broker registers 2 079 208 B with a name server whose config file says serverSocketRcvBufSize=1024\n" +
            "(its -D says 1048576), over a 1.66 ms link, 3 s timeout. Made by `tcpwin lab incident` (scripts/make-incident-capture.ts;\n" +
            "payload beyond each direction's first two segments cut, headers kept).\n\n",
        );
      }
      runAnalyze(BUNDLED_CAPTURE, { json: opts.json }, (s) => process.stdout.write(s), "assets/rocketmq-incident.pcap");
      if (!opts.json) {
        process.stdout.write(
          "\nNext: the same analysis on your capture: tcpwin analyze FILE.pcap [--code 103] [--timeout 3s]\n" +
            "      reproduce it, fix it, repeat it (root): tcpwin lab incident\n" +
            "      what a config file really sets:        tcpwin rocketmq config --namesrv namesrv.conf --jvm \"-D…\" --version 4.9.2\n",
        );
      }
    });
}
