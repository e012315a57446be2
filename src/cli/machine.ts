/**
 * @module cli/machine
 * What the model needs to know about this machine (kernel release, rmem_max, tcp_rmem), read
 * here so that model/ stays free of I/O. Each read falls back to the kernel default when the
 * file is not there (not Linux, a container without /proc/sys).
 */
import { readFileSync } from "node:fs";
import { release } from "node:os";

function readNumbers(path: string): number[] | undefined {
  try {
    return readFileSync(path, "utf8").trim().split(/\s+/).map(Number);
  } catch {
    return undefined;
  }
}

export interface MachineNet {
  kernelRelease: string;
  rmemMax: number | undefined;
  tcpRmem: [number, number, number] | undefined;
}

export function readMachineNet(): MachineNet {
  const rmem = readNumbers("/proc/sys/net/core/rmem_max");
  const tcp = readNumbers("/proc/sys/net/ipv4/tcp_rmem");
  return {
    kernelRelease: release(),
    rmemMax: rmem?.[0],
    tcpRmem: tcp && tcp.length === 3 ? [tcp[0]!, tcp[1]!, tcp[2]!] : undefined,
  };
}
