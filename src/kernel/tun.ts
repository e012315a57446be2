/**
 * @module kernel/tun
 * TUN devices (Documentation/networking/tuntap.rst): open /dev/net/tun, TUNSETIFF with
 * IFF_TUN | IFF_NO_PI, so each read() returns one bare IP packet and each write() injects one.
 * TUN has no offloads unless IFF_VNET_HDR is asked for, so packets never exceed the MTU (what a
 * capture of a real link shows, unlike loopback/veth super-packets).
 *
 * The device is not persistent: it disappears when the last fd closes (also when the process is
 * killed), so a TUN device can never be leaked. Moving it to another network namespace
 * (`ip link set DEV netns NS`) keeps the fd valid.
 */
import { check, close, ioctl, open } from "./libc.js";
import { TcpwinError } from "../errors.js";
import { O_CLOEXEC, O_NONBLOCK, O_RDWR } from "./uapi.js";

/** _IOW('T', 202, int) */
const TUNSETIFF = 0x400454ca;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
/** IFNAMSIZ, including the NUL. */
export const IFNAMSIZ = 16;
/** sizeof(struct ifreq) on 64-bit. */
const IFREQ_SIZE = 40;

export interface TunDevice {
  fd: number;
  name: string;
}

/** Create (or attach to) TUN device `name`, non-blocking, close-on-exec. */
export function openTun(name: string): TunDevice {
  if (Buffer.byteLength(name) >= IFNAMSIZ || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new TcpwinError("bad_ifname", `TUN device name ${JSON.stringify(name)}: at most ${IFNAMSIZ - 1} characters of [A-Za-z0-9_.-]`);
  }
  const fd = check(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC, 0) as number, "open", "/dev/net/tun");
  const ifr = Buffer.alloc(IFREQ_SIZE);
  ifr.write(name, 0, "latin1");
  ifr.writeUInt16LE(IFF_TUN | IFF_NO_PI, IFNAMSIZ);
  try {
    check(ioctl(fd, TUNSETIFF, ifr) as number, "ioctl", `TUNSETIFF ${name}`);
  } catch (e) {
    close(fd);
    throw e;
  }
  const got = ifr.toString("latin1", 0, IFNAMSIZ);
  const nul = got.indexOf("\0");
  return { fd, name: nul < 0 ? got : got.slice(0, nul) };
}

export function closeTun(dev: TunDevice): void {
  if (dev.fd >= 0) close(dev.fd);
  dev.fd = -1;
}
