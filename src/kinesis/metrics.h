/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  CloudWatch-style metrics of streams: counted by every call, kept per
 *	  minute.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAM_METRICS_H
#define STREAM_METRICS_H

#include "postgres.h"

/* The metrics, with CloudWatch's names (metrics.c) */
typedef enum StreamMetric
{
	METRIC_INCOMING_BYTES,
	METRIC_INCOMING_RECORDS,
	METRIC_PUT_RECORD_BYTES,
	METRIC_PUT_RECORD_LATENCY,
	METRIC_PUT_RECORD_SUCCESS,
	METRIC_PUT_RECORDS_BYTES,
	METRIC_PUT_RECORDS_LATENCY,
	METRIC_PUT_RECORDS_RECORDS,
	METRIC_PUT_RECORDS_SUCCESSFUL_RECORDS,
	METRIC_PUT_RECORDS_FAILED_RECORDS,
	METRIC_PUT_RECORDS_THROTTLED_RECORDS,
	METRIC_GET_RECORDS_BYTES,
	METRIC_GET_RECORDS_RECORDS,
	METRIC_GET_RECORDS_LATENCY,
	METRIC_GET_RECORDS_SUCCESS,
	METRIC_GET_RECORDS_ITERATOR_AGE,
	METRIC_READ_THROUGHPUT_EXCEEDED,
	METRIC_WRITE_THROUGHPUT_EXCEEDED,
	METRIC_SUBSCRIBE_RATE_EXCEEDED,
	METRIC_SUBSCRIBE_EVENT_RECORDS,
	METRIC_SUBSCRIBE_EVENT_BYTES,
	METRIC_SUBSCRIBE_EVENT_MILLIS_BEHIND,
	/* counted only per shard */
	METRIC_OUTGOING_BYTES,
	METRIC_OUTGOING_RECORDS,
	METRIC_ITERATOR_AGE,
	STREAM_NUM_METRICS
} StreamMetric;

/*
 * A stream's shard-level metrics (enable_enhanced_monitoring) are a mask of
 * bits 1 << metric, in its catalog entry (StreamInfo.shard_metrics).
 */
#define StreamShardMetricOn(mask, metric) ((((uint32) (mask)) >> (metric)) & 1)

/* Settings: whether calls count metrics at all; minutes kept in the table */
extern bool stream_metrics;
extern int	stream_metrics_retention;

extern void MetricsInit(void);

/*
 * Counts one sample of a metric of a stream (a call's bytes, its latency in
 * milliseconds, ...) in the current minute.  Samples add up in the backend
 * and reach shared memory about once a second.
 */
extern void StreamMetricSample(int32 stream_id, StreamMetric metric, double value);

/* The same for a shard, when the stream counts the metric per shard */
extern void StreamShardMetricSample(int32 stream_id, int32 shard_no,
									StreamMetric metric, double value);

/* The same for a registered consumer of the stream */
extern void StreamConsumerMetricSample(int32 stream_id, const char *consumer,
									   StreamMetric metric, double value);

/* The mask of shard-level metric names (a text[]); an error for others */
extern uint32 StreamShardMetricMask(Datum names);

/*
 * Sends the samples this backend holds to shared memory if they waited
 * long enough; a background worker calls it when idle.
 */
extern void StreamMetricsSendDue(void);

#endif							/* STREAM_METRICS_H */
