// W11 of bench/run: the AWS SDK for JavaScript v3 against a Kinesis endpoint
// (stream's, or kinesalite's), CLIENTS clients, each a worker thread with its
// own KinesisClient over HTTP/1.1 with keep-alive (kinesalite speaks no
// HTTP/2).  The clients open their connections first; the time runs from
// when all are ready to when the last is done, and the CPU time the
// clients used in it (the whole process's) is reported with it.
//
//   node w11.mjs create STREAM SHARDS
//       creates the stream and waits until it is ACTIVE
//   node w11.mjs put STREAM CLIENTS BATCHES
//       each client makes BATCHES PutRecords calls of 500 records of 128
//       bytes under 1,000 partition keys that fall evenly in the four
//       quarters of the hash key range, so that each of 4 shards gets as
//       many records (and each reader as much to read); prints
//       "records=N seconds=S calls=C cpu_seconds=U"; any record refused
//       fails it.  Each client's call to warm up puts 500 more, untimed.
//   node w11.mjs get STREAM CLIENTS
//       client i reads shard i from TRIM_HORIZON with GetRecords of 10,000
//       until a call returns nothing and is not behind; prints the same.
//       Each client's call to warm up reads the first 10,000 once, untimed.
//   node w11.mjs delete STREAM
//
// The endpoint and the key come from the environment: STREAM_ENDPOINT,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; STREAM_W11_SYNC makes put and
// get wait, warmed up, for a signal to start (see run()).

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Agent } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import * as kinesis from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

function newClient() {
	return new kinesis.KinesisClient({
		endpoint: process.env.STREAM_ENDPOINT,
		region: 'us-east-1',
		maxAttempts: 1,
		requestHandler: new NodeHttpHandler({
			httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }),
		}),
	});
}

function fail(message) {
	console.error(`w11: ${message}`);
	process.exit(1);
}

// 1,000 keys pk-<n>, 250 of them in each quarter of the hash key range
// (Kinesis routes a key by the MD5 of it), taken in turn from each quarter
function evenKeys() {
	const quarters = [[], [], [], []];
	for (let n = 0; quarters.some((q) => q.length < 250); n++) {
		const key = `pk-${n}`;
		const q = createHash('md5').update(key).digest()[0] >> 6;
		if (quarters[q].length < 250)
			quarters[q].push(key);
	}
	return Array.from({ length: 1000 }, (_, j) => quarters[j % 4][j >> 2]);
}

// One client: warms up (opens its connection, and runs the code of its
// calls once, so that what is timed is not V8 compiling the SDK), says so,
// waits for the start, works.
async function clientMain({ op, stream, index, batches, shardId }) {
	const client = newClient();
	const data = new Uint8Array(128).fill(index + 1);
	const keys = evenKeys();
	const put = async (b) => {
		const base = (index * (batches + 1) + b) * 500;
		const entries = [];
		for (let g = 0; g < 500; g++)
			entries.push({ PartitionKey: keys[(base + g) % 1000], Data: data });
		const out = await client.send(new kinesis.PutRecordsCommand({ StreamName: stream, Records: entries }));
		if (out.FailedRecordCount)
			throw new Error(`${out.FailedRecordCount} records refused: ${JSON.stringify(out.Records.find((r) => r.ErrorCode))}`);
		return entries.length;
	};
	const iterator = async () => (await client.send(new kinesis.GetShardIteratorCommand({
		StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON',
	}))).ShardIterator;

	if (op === 'put')
		await put(batches);
	else
		await client.send(new kinesis.GetRecordsCommand({ ShardIterator: await iterator(), Limit: 10000 }));
	const go = new Promise((resolve) => parentPort.once('message', resolve));
	parentPort.postMessage({ ready: true });
	await go;

	let records = 0;
	let calls = 0;
	if (op === 'put') {
		for (let b = 0; b < batches; b++) {
			records += await put(b);
			calls++;
		}
	} else {
		let it = await iterator();
		while (it) {
			const out = await client.send(new kinesis.GetRecordsCommand({ ShardIterator: it, Limit: 10000 }));
			calls++;
			records += out.Records.length;
			if (out.Records.length === 0 && !out.MillisBehindLatest)
				break;
			it = out.NextShardIterator;
		}
	}
	parentPort.postMessage({ done: true, records, calls });
}

async function run(op, stream, clients, extra) {
	const workers = [];
	for (let i = 0; i < clients; i++)
		workers.push(new Worker(new URL(import.meta.url), {
			workerData: { op, stream, index: i, ...extra(i) },
		}));
	const ready = workers.map((w) => new Promise((resolve, reject) => {
		w.once('message', resolve);
		w.once('error', reject);
	}));
	await Promise.all(ready);
	const done = workers.map((w) => new Promise((resolve, reject) => {
		w.on('message', (m) => m.done && resolve(m));
		w.once('error', reject);
	}));
	// with STREAM_W11_SYNC=path: says it is ready (path.ready) and waits for
	// path.go, so that the caller measures the servers from the start on
	const sync = process.env.STREAM_W11_SYNC;
	if (sync) {
		writeFileSync(`${sync}.ready`, '');
		while (!existsSync(`${sync}.go`))
			await new Promise((resolve) => setTimeout(resolve, 2));
	}
	const t0 = process.hrtime.bigint();
	const cpu0 = process.cpuUsage();
	for (const w of workers)
		w.postMessage('go');
	const results = await Promise.all(done);
	const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
	const cpu = process.cpuUsage(cpu0);
	for (const w of workers)
		await w.terminate();
	const records = results.reduce((n, r) => n + r.records, 0);
	const calls = results.reduce((n, r) => n + r.calls, 0);
	console.log(`records=${records} seconds=${seconds.toFixed(6)} calls=${calls} ` +
		`cpu_seconds=${((cpu.user + cpu.system) / 1e6).toFixed(3)}`);
}

async function main(argv) {
	const [op, stream, arg] = argv;
	const client = newClient();
	switch (op) {
	case 'create':
		await client.send(new kinesis.CreateStreamCommand({ StreamName: stream, ShardCount: Number(arg) }));
		for (let i = 0; i < 600; i++) {
			const out = await client.send(new kinesis.DescribeStreamSummaryCommand({ StreamName: stream }));
			if (out.StreamDescriptionSummary.StreamStatus === 'ACTIVE')
				return;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		fail(`${stream} did not become ACTIVE`);
		break;
	case 'delete':
		await client.send(new kinesis.DeleteStreamCommand({ StreamName: stream }));
		break;
	case 'put':
		await run(op, stream, Number(arg), () => ({ batches: Number(argv[3]) }));
		break;
	case 'get': {
		const shards = (await client.send(new kinesis.ListShardsCommand({ StreamName: stream }))).Shards;
		if (shards.length !== Number(arg))
			fail(`${stream} has ${shards.length} shards, not ${arg}`);
		await run(op, stream, Number(arg), (i) => ({ shardId: shards[i].ShardId }));
		break;
	}
	default:
		fail(`unknown command ${op}`);
	}
}

if (isMainThread)
	main(process.argv.slice(2)).catch((e) => fail(`${e.name}: ${e.message}`));
else
	clientMain(workerData).catch((e) => {
		console.error(`w11: client ${workerData.index}: ${e.name}: ${e.message}`);
		process.exit(1);
	});
