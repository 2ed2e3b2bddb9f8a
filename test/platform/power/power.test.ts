import { describe, expect, it } from 'vitest';
import { createInProcessPower, createProcessExitPower } from '../../../src/node/index.js';

describe('power', () => {
  it('should reboot in place: resolve so the node boots again in this process', async () => {
    const power = createInProcessPower();
    await expect(power.reboot()).resolves.toBeUndefined();
    await expect(power.shutdown()).resolves.toBeUndefined();
  });

  it('should exit with the reboot or shutdown code, and never resolve after', async () => {
    const exits: number[] = [];
    const power = createProcessExitPower({ exit: (code) => exits.push(code) });
    let resolved = false;
    void power.reboot().then(() => {
      resolved = true;
    });
    void power.shutdown();
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([75, 0]);
    expect(resolved).toBe(false);
    void createProcessExitPower({
      exit: (code) => exits.push(code),
      rebootCode: 3,
      shutdownCode: 4,
    }).reboot();
    expect(exits.at(-1)).toBe(3);
  });
});
