// The AWS SDK for JavaScript v3 against the Kinesis endpoint, driven by a
// TAP test (test/t/172_endpoint_sdk.pl): it reads one command a line on
// stdin, as JSON, and answers each with one line of JSON on stdout.
//
//   {"op": "<Kinesis action>", "input": {...}}  one call with the SDK's
//       KinesisClient (HTTP/2: the SDK's default handler); "Data" is given
//       and returned in base64, timestamps as epoch seconds
//   {"op": "Subscribe", "input": {...}}  starts SubscribeToShard and keeps
//       what its events bring
//   {"op": "Subscribed", "min": n, "timeoutMs": t}  waits until the
//       subscription brought n records (or t ms passed, or it ended)
//   {"op": "PutAggregated", "stream": s, "records": [{PartitionKey, Data}]}
//       aggregates user records as the KPL does (aws-kinesis-agg) and puts
//       the aggregated record(s)
//   {"op": "Deaggregate", "records": [...]}  user records of the records of
//       a GetRecords answer
//
// Answers: {"ok": output} or {"error": name, "message": ..., "status": http}
// The endpoint and credentials come from the environment (AWS_*,
// STREAM_ENDPOINT).

import readline from 'node:readline';
import * as kinesis from '@aws-sdk/client-kinesis';
import agg from 'aws-kinesis-agg';

const client = new kinesis.KinesisClient({
	endpoint: process.env.STREAM_ENDPOINT,
	region: 'us-east-1',
	maxAttempts: 1,
});

// Buffers and dates made printable
function plain(value) {
	if (value instanceof Uint8Array)
		return Buffer.from(value).toString('base64');
	if (value instanceof Date)
		return value.getTime() / 1000;
	if (typeof value === 'bigint')
		return value.toString();
	if (Array.isArray(value))
		return value.map(plain);
	if (value && typeof value === 'object') {
		const out = {};
		for (const [k, v] of Object.entries(value))
			if (k !== '$metadata')
				out[k] = plain(v);
		return out;
	}
	return value;
}

// Data given in base64 becomes bytes; timestamps given in seconds, Dates
function input(value, key) {
	if (key === 'Data' && typeof value === 'string')
		return Buffer.from(value, 'base64');
	if ((key === 'Timestamp' || key === 'StreamCreationTimestamp') && typeof value === 'number')
		return new Date(value * 1000);
	if (Array.isArray(value))
		return value.map((v) => input(v));
	if (value && typeof value === 'object') {
		const out = {};
		for (const [k, v] of Object.entries(value))
			out[k] = input(v, k);
		return out;
	}
	return value;
}

async function call(op, params) {
	const Command = kinesis[`${op}Command`];
	if (!Command)
		throw new Error(`no command ${op}`);
	return plain(await client.send(new Command(input(params))));
}

const subscription = { records: [], events: 0, ended: null, continuation: null };

async function subscribe(params) {
	const out = await client.send(new kinesis.SubscribeToShardCommand(input(params)));
	(async () => {
		try {
			for await (const event of out.EventStream) {
				if (event.SubscribeToShardEvent) {
					const e = event.SubscribeToShardEvent;
					subscription.events++;
					subscription.continuation = e.ContinuationSequenceNumber;
					subscription.millisBehind = e.MillisBehindLatest;
					for (const r of e.Records)
						subscription.records.push(plain(r));
				}
			}
			subscription.ended = 'end';
		} catch (err) {
			// The SDK throws the exceptions the model lists for the event
			// stream (ResourceInUseException...) as bare objects, no name
			subscription.ended = err.name || (err.message !== undefined ? 'exception' : String(err));
			subscription.message = err.message;
		}
	})();
	return { started: true };
}

async function subscribed(min, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	while (subscription.records.length < min && !subscription.ended && Date.now() < deadline)
		await new Promise((r) => setTimeout(r, 50));
	return plain(subscription);
}

function putAggregated(stream, records) {
	return new Promise((resolve, reject) => {
		const results = [];
		agg.aggregate(
			records.map((r) => ({ partitionKey: r.PartitionKey, data: Buffer.from(r.Data, 'base64') })),
			(encoded, done) => {
				client.send(new kinesis.PutRecordCommand({
					StreamName: stream,
					PartitionKey: encoded.partitionKey,
					ExplicitHashKey: encoded.explicitHashKey,
					Data: encoded.data,
				})).then((out) => { results.push(plain(out)); done(); }, (err) => done(err));
			},
			() => resolve(results),
			(err) => reject(err));
	});
}

function deaggregate(records) {
	const users = [];
	for (const r of records) {
		agg.deaggregateSync({
			partitionKey: r.PartitionKey,
			sequenceNumber: r.SequenceNumber,
			data: r.Data,
		}, true, (err, userRecords) => {
			if (err)
				throw err;
			for (const u of userRecords)
				users.push({
					PartitionKey: u.partitionKey,
					SequenceNumber: String(u.sequenceNumber),
					SubSequenceNumber: u.subSequenceNumber,
					Data: Buffer.from(u.data, 'base64').toString('base64'),
				});
		});
	}
	return users;
}

async function run(command) {
	switch (command.op) {
		case 'Subscribe':
			return subscribe(command.input);
		case 'Subscribed':
			return subscribed(command.min ?? 1, command.timeoutMs ?? 10000);
		case 'PutAggregated':
			return putAggregated(command.stream, command.records);
		case 'Deaggregate':
			return deaggregate(command.records);
		case 'Handler':
			return client.config.requestHandler.constructor.name;
		default:
			return call(command.op, command.input ?? {});
	}
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
	if (!line.trim())
		continue;
	let answer;
	try {
		answer = { ok: await run(JSON.parse(line)) };
	} catch (err) {
		answer = {
			error: err.name,
			message: err.message,
			status: err.$metadata?.httpStatusCode,
		};
	}
	process.stdout.write(JSON.stringify(answer) + '\n');
}
client.destroy();
process.exit(0);
