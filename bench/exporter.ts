/**
 * Benchmark: one `tcpwin exporter` scrape at 10 000 established loopback sockets (5 000 pairs held
 * by a python3 child, bench/sockets-holder.py) against `ss -tinm` listing the same sockets, the
 * runs interleaved so both see the same machine load. Target (issue 11): a scrape < 200 ms.
 *
 *  - steady scrape: GET /metrics on a running exporter whose owners are known (what a Prometheus
 *    scraping every 15 s sees): dump + accounting + exposition, --min-interval 0;
 *  - scrape with a /proc walk: an exporter started fresh, its first scrapes (every socket new);
 *  - ss -tinm: the whole process (ss has no resident form), stdout to /dev/null.
 * Whatever is opened is closed at the end (and on SIGINT). Other sockets on the host are counted too.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { availableParallelism, loadavg } from "node:os";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const HOLDER = fileURLToPath(new URL("./sockets-holder.py", import.meta.url));
const REPEAT = Number(process.env.BENCH_REPEAT ?? 15);
const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
};

async function startExporter(): Promise<string> {
  const c = spawn(process.execPath, ["--import", "tsx", `${ROOT}src/cli/entry.ts`, "exporter", "--listen", "127.0.0.1:0", "--min-interval", "0s"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  children.push(c);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: c.stderr! }).on("line", (l) => l.includes("serving") && resolve(l));
    c.once("exit", (code) => reject(new Error(`exporter exited with ${code}`)));
  });
  return /http:\/\/[^/]+/.exec(line)![0];
}

async function scrapeMs(base: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await fetch(`${base}/metrics`);
  await r.text();
  if (r.status !== 200) throw new Error(`scrape: ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function ssMs(): number {
  const fd = openSync("/dev/null", "w");
  const t0 = process.hrtime.bigint();
  const r = spawnSync("ss", ["-tinm"], { stdio: ["ignore", fd, "ignore"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(fd);
  if (r.status !== 0) throw new Error("ss failed");
  return ms;
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { best: s[0]!, median: s[Math.floor(s.length / 2)]! };
};
const f = (x: number) => `${x.toFixed(0)} ms`;

export async function run(): Promise<void> {
  if (process.platform !== "linux" || spawnSync("ss", ["-V"]).status !== 0 || spawnSync("python3", ["-c", "pass"]).status !== 0) {
    process.stdout.write("exporter bench skipped: needs Linux, ss (iproute2) and python3\n");
    return;
  }
  const onSig = () => {
    cleanup();
    process.exit(130);
  };
  process.once("SIGINT", onSig);
  try {
    const holder = spawn("python3", [HOLDER, "5000", "127.0.0.9"], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(holder);
    await new Promise<string>((r) => createInterface({ input: holder.stdout! }).once("line", r));
    const sockets = spawnSync("ss", ["-tanH"], { encoding: "utf8", maxBuffer: 1 << 28 }).stdout.split("\n").filter(Boolean).length;

    // With a /proc walk: the first scrapes of a fresh exporter see every socket for the first time.
    const walk: number[] = [];
    for (let i = 0; i < 3; i++) {
      const base = await startExporter();
      walk.push(await scrapeMs(base));
      children.pop()!.kill("SIGKILL");
    }
    const base = await startExporter();
    for (let i = 0; i < 5; i++) await scrapeMs(base); // owners known, JIT warm
    const ours: number[] = [];
    const theirs: number[] = [];
    ssMs();
    for (let i = 0; i < REPEAT; i++) {
      ours.push(await scrapeMs(base));
      theirs.push(ssMs());
    }
    const o = stat(ours);
    const s = stat(theirs);
    const w = stat(walk);
    console.table([
      { what: `steady scrape (${sockets} sockets on the host)`, ms: `${f(o.best)} (median ${f(o.median)})`, "vs ss -tinm": `${(o.median / s.median).toFixed(2)}×`, target: o.median < 200 ? "met (< 200 ms)" : "MISSED (≥ 200 ms)" },
      { what: "first scrape of a fresh exporter (dump + /proc walk)", ms: `${f(w.best)} (median ${f(w.median)})`, "vs ss -tinm": `${(w.median / s.median).toFixed(2)}×`, target: "" },
      { what: "ss -tinm (whole process)", ms: `${f(s.best)} (median ${f(s.median)})`, "vs ss -tinm": "1", target: "" },
    ]);
    process.stdout.write(`load average: ${loadavg().map((x) => x.toFixed(2)).join(" ")} on ${availableParallelism()} CPUs; ${REPEAT} interleaved runs (BENCH_REPEAT=n)\n`);
  } finally {
    cleanup();
    process.removeListener("SIGINT", onSig);
  }
}
