/**
 * Everyday `aws ec2 …` commands against the gateway with nothing changed but
 * --endpoint-url and the keys. Uses /usr/bin/aws (Debian's awscli), else the
 * `aws` on PATH; a host with neither skips, saying so.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { region, useGatewayUnderTest } from '../testing/gateway-under-test.js';

function findAws(): string | undefined {
  const candidates = [
    '/usr/bin/aws',
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'aws')),
  ];
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const aws = findAws();
if (!aws) console.warn('ec2-awscli.test.ts: skipped, this host has no aws command (install awscli)');

const gw = useGatewayUnderTest();
let home = '';
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'nimbus-awscli-'));
});
afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      aws as string,
      [...args, '--endpoint-url', gw.url, '--output', 'json'],
      {
        timeout: 30_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          AWS_ACCESS_KEY_ID: gw.keyA.accessKeyId,
          AWS_SECRET_ACCESS_KEY: gw.keyA.secretAccessKey,
          AWS_DEFAULT_REGION: region,
          AWS_CONFIG_FILE: join(home, 'none'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_MAX_ATTEMPTS: '1',
          AWS_PAGER: '',
        },
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe.skipIf(!aws)('the aws CLI', () => {
  it('runs everyday EC2 commands', async () => {
    const key = await run('ec2', 'create-key-pair', '--key-name', 'cli-key');
    expect(key.stderr).toBe('');
    expect(JSON.parse(key.stdout).KeyMaterial).toContain('PRIVATE KEY');

    const volume = await run(
      'ec2',
      'create-volume',
      '--availability-zone',
      'nimbus-1a',
      '--size',
      '1',
      '--tag-specifications',
      'ResourceType=volume,Tags=[{Key=team,Value=cli}]',
    );
    const volumeId = JSON.parse(volume.stdout).VolumeId as string;
    expect(volumeId).toMatch(/^vol-/);
    const volumes = await run('ec2', 'describe-volumes', '--filters', 'Name=tag:team,Values=cli');
    expect(JSON.parse(volumes.stdout).Volumes.map((v: { VolumeId: string }) => v.VolumeId)).toEqual([
      volumeId,
    ]);

    const group = await run(
      'ec2',
      'create-security-group',
      '--group-name',
      'cli',
      '--description',
      'from the cli',
    );
    const groupId = JSON.parse(group.stdout).GroupId as string;
    const ingress = await run(
      'ec2',
      'authorize-security-group-ingress',
      '--group-id',
      groupId,
      '--protocol',
      'tcp',
      '--port',
      '22',
      '--cidr',
      '127.0.0.0/8',
    );
    expect(ingress.code).toBe(0);
    const groups = await run('ec2', 'describe-security-groups', '--group-ids', groupId);
    expect(JSON.parse(groups.stdout).SecurityGroups[0].IpPermissions[0]).toMatchObject({
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '127.0.0.0/8' }],
    });

    const missing = await run('ec2', 'describe-volumes', '--volume-ids', 'vol-0123456789abcdef0');
    // A service error: 254 from awscli v2, 255 from v1.
    expect([254, 255]).toContain(missing.code);
    expect(missing.stderr).toContain('InvalidVolume.NotFound');
  });
});
