/*-------------------------------------------------------------------------
 *
 * shapes.c
 *	  The shapes of Kinesis' requests, written by tools/kinesis_shapes.py
 *	  from the AWS CLI's model of the API (kinesis-2013-12-02).
 *	  Do not edit: run the tool again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "http/validate.h"

static const KinesisMember AddTagsToStreamInput_members[] = {
	{"StreamName", 1, false},
	{"Tags", 2, true},
	{"StreamARN", 5, false},
};
static const KinesisMember CreateStreamInput_members[] = {
	{"StreamName", 1, true},
	{"ShardCount", 7, false},
	{"StreamModeDetails", 8, false},
};
static const KinesisMember StreamModeDetails_members[] = {
	{"StreamMode", 9, true},
};
static const char *const StreamMode_enum[] = {"PROVISIONED", "ON_DEMAND", NULL};
static const KinesisMember DecreaseStreamRetentionPeriodInput_members[] = {
	{"StreamName", 1, false},
	{"RetentionPeriodHours", 11, true},
	{"StreamARN", 5, false},
};
static const KinesisMember DeleteStreamInput_members[] = {
	{"StreamName", 1, false},
	{"EnforceConsumerDeletion", 13, false},
	{"StreamARN", 5, false},
};
static const KinesisMember DeregisterStreamConsumerInput_members[] = {
	{"StreamARN", 5, false},
	{"ConsumerName", 15, false},
	{"ConsumerARN", 16, false},
};
static const KinesisMember DescribeStreamInput_members[] = {
	{"StreamName", 1, false},
	{"Limit", 19, false},
	{"ExclusiveStartShardId", 20, false},
	{"StreamARN", 5, false},
};
static const KinesisMember DescribeStreamConsumerInput_members[] = {
	{"StreamARN", 5, false},
	{"ConsumerName", 15, false},
	{"ConsumerARN", 16, false},
};
static const KinesisMember DescribeStreamSummaryInput_members[] = {
	{"StreamName", 1, false},
	{"StreamARN", 5, false},
};
static const KinesisMember DisableEnhancedMonitoringInput_members[] = {
	{"StreamName", 1, false},
	{"ShardLevelMetrics", 24, true},
	{"StreamARN", 5, false},
};
static const char *const MetricsName_enum[] = {"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds", "ALL", NULL};
static const KinesisMember EnableEnhancedMonitoringInput_members[] = {
	{"StreamName", 1, false},
	{"ShardLevelMetrics", 24, true},
	{"StreamARN", 5, false},
};
static const KinesisMember GetRecordsInput_members[] = {
	{"ShardIterator", 28, true},
	{"Limit", 29, false},
	{"StreamARN", 5, false},
};
static const KinesisMember GetShardIteratorInput_members[] = {
	{"StreamName", 1, false},
	{"ShardId", 20, true},
	{"ShardIteratorType", 31, true},
	{"StartingSequenceNumber", 32, false},
	{"Timestamp", 33, false},
	{"StreamARN", 5, false},
};
static const char *const ShardIteratorType_enum[] = {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", NULL};
static const KinesisMember IncreaseStreamRetentionPeriodInput_members[] = {
	{"StreamName", 1, false},
	{"RetentionPeriodHours", 11, true},
	{"StreamARN", 5, false},
};
static const KinesisMember ListShardsInput_members[] = {
	{"StreamName", 1, false},
	{"NextToken", 36, false},
	{"ExclusiveStartShardId", 20, false},
	{"MaxResults", 37, false},
	{"StreamCreationTimestamp", 33, false},
	{"ShardFilter", 38, false},
	{"StreamARN", 5, false},
};
static const KinesisMember ShardFilter_members[] = {
	{"Type", 39, true},
	{"ShardId", 20, false},
	{"Timestamp", 33, false},
};
static const char *const ShardFilterType_enum[] = {"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP", NULL};
static const KinesisMember ListStreamConsumersInput_members[] = {
	{"StreamARN", 5, true},
	{"NextToken", 36, false},
	{"MaxResults", 41, false},
	{"StreamCreationTimestamp", 33, false},
};
static const KinesisMember ListStreamsInput_members[] = {
	{"Limit", 43, false},
	{"ExclusiveStartStreamName", 1, false},
	{"NextToken", 36, false},
};
static const KinesisMember ListTagsForStreamInput_members[] = {
	{"StreamName", 1, false},
	{"ExclusiveStartTagKey", 3, false},
	{"Limit", 45, false},
	{"StreamARN", 5, false},
};
static const KinesisMember MergeShardsInput_members[] = {
	{"StreamName", 1, false},
	{"ShardToMerge", 20, true},
	{"AdjacentShardToMerge", 20, true},
	{"StreamARN", 5, false},
};
static const KinesisMember PutRecordInput_members[] = {
	{"StreamName", 1, false},
	{"Data", 48, true},
	{"PartitionKey", 49, true},
	{"ExplicitHashKey", 50, false},
	{"SequenceNumberForOrdering", 32, false},
	{"StreamARN", 5, false},
};
static const KinesisMember PutRecordsInput_members[] = {
	{"Records", 52, true},
	{"StreamName", 1, false},
	{"StreamARN", 5, false},
};
static const KinesisMember PutRecordsRequestEntry_members[] = {
	{"Data", 48, true},
	{"ExplicitHashKey", 50, false},
	{"PartitionKey", 49, true},
};
static const KinesisMember RegisterStreamConsumerInput_members[] = {
	{"StreamARN", 5, true},
	{"ConsumerName", 15, true},
};
static const KinesisMember RemoveTagsFromStreamInput_members[] = {
	{"StreamName", 1, false},
	{"TagKeys", 56, true},
	{"StreamARN", 5, false},
};
static const KinesisMember SplitShardInput_members[] = {
	{"StreamName", 1, false},
	{"ShardToSplit", 20, true},
	{"NewStartingHashKey", 50, true},
	{"StreamARN", 5, false},
};
static const KinesisMember StartStreamEncryptionInput_members[] = {
	{"StreamName", 1, false},
	{"EncryptionType", 59, true},
	{"KeyId", 60, true},
	{"StreamARN", 5, false},
};
static const char *const EncryptionType_enum[] = {"NONE", "KMS", NULL};
static const KinesisMember StopStreamEncryptionInput_members[] = {
	{"StreamName", 1, false},
	{"EncryptionType", 59, true},
	{"KeyId", 60, true},
	{"StreamARN", 5, false},
};
static const KinesisMember SubscribeToShardInput_members[] = {
	{"ConsumerARN", 16, true},
	{"ShardId", 20, true},
	{"StartingPosition", 63, true},
};
static const KinesisMember StartingPosition_members[] = {
	{"Type", 31, true},
	{"SequenceNumber", 32, false},
	{"Timestamp", 33, false},
};
static const KinesisMember UpdateShardCountInput_members[] = {
	{"StreamName", 1, false},
	{"TargetShardCount", 7, true},
	{"ScalingType", 65, true},
	{"StreamARN", 5, false},
};
static const char *const ScalingType_enum[] = {"UNIFORM_SCALING", NULL};
static const KinesisMember UpdateStreamModeInput_members[] = {
	{"StreamARN", 5, true},
	{"StreamModeDetails", 8, true},
};

const KinesisShape kinesis_shapes[] = {
	{"AddTagsToStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, AddTagsToStreamInput_members, -1, -1},
	{"StreamName", SHAPE_STRING, true, 1, true, INT64CONST(128), "[a-zA-Z0-9_.-]+", NULL, 0, NULL, -1, -1},
	{"TagMap", SHAPE_MAP, true, 1, true, INT64CONST(200), NULL, NULL, 0, NULL, 4, 3},
	{"TagKey", SHAPE_STRING, true, 1, true, INT64CONST(128), NULL, NULL, 0, NULL, -1, -1},
	{"TagValue", SHAPE_STRING, true, 0, true, INT64CONST(256), NULL, NULL, 0, NULL, -1, -1},
	{"StreamARN", SHAPE_STRING, true, 1, true, INT64CONST(2048), "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", NULL, 0, NULL, -1, -1},
	{"CreateStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, CreateStreamInput_members, -1, -1},
	{"PositiveIntegerObject", SHAPE_INTEGER, true, 1, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"StreamModeDetails", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 1, StreamModeDetails_members, -1, -1},
	{"StreamMode", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, StreamMode_enum, 0, NULL, -1, -1},
	{"DecreaseStreamRetentionPeriodInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, DecreaseStreamRetentionPeriodInput_members, -1, -1},
	{"RetentionPeriodHours", SHAPE_INTEGER, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"DeleteStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, DeleteStreamInput_members, -1, -1},
	{"BooleanObject", SHAPE_BOOLEAN, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"DeregisterStreamConsumerInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, DeregisterStreamConsumerInput_members, -1, -1},
	{"ConsumerName", SHAPE_STRING, true, 1, true, INT64CONST(128), "[a-zA-Z0-9_.-]+", NULL, 0, NULL, -1, -1},
	{"ConsumerARN", SHAPE_STRING, true, 1, true, INT64CONST(2048), "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+", NULL, 0, NULL, -1, -1},
	{"DescribeLimitsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"DescribeStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, DescribeStreamInput_members, -1, -1},
	{"DescribeStreamInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"ShardId", SHAPE_STRING, true, 1, true, INT64CONST(128), "[a-zA-Z0-9_.-]+", NULL, 0, NULL, -1, -1},
	{"DescribeStreamConsumerInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, DescribeStreamConsumerInput_members, -1, -1},
	{"DescribeStreamSummaryInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 2, DescribeStreamSummaryInput_members, -1, -1},
	{"DisableEnhancedMonitoringInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, DisableEnhancedMonitoringInput_members, -1, -1},
	{"MetricsNameList", SHAPE_LIST, true, 1, true, INT64CONST(7), NULL, NULL, 0, NULL, 25, -1},
	{"MetricsName", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, MetricsName_enum, 0, NULL, -1, -1},
	{"EnableEnhancedMonitoringInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, EnableEnhancedMonitoringInput_members, -1, -1},
	{"GetRecordsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, GetRecordsInput_members, -1, -1},
	{"ShardIterator", SHAPE_STRING, true, 1, true, INT64CONST(512), NULL, NULL, 0, NULL, -1, -1},
	{"GetRecordsInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"GetShardIteratorInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 6, GetShardIteratorInput_members, -1, -1},
	{"ShardIteratorType", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, ShardIteratorType_enum, 0, NULL, -1, -1},
	{"SequenceNumber", SHAPE_STRING, false, 0, false, INT64CONST(0), "0|([1-9]\\d{0,128})", NULL, 0, NULL, -1, -1},
	{"Timestamp", SHAPE_TIMESTAMP, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"IncreaseStreamRetentionPeriodInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, IncreaseStreamRetentionPeriodInput_members, -1, -1},
	{"ListShardsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 7, ListShardsInput_members, -1, -1},
	{"NextToken", SHAPE_STRING, true, 1, true, INT64CONST(1048576), NULL, NULL, 0, NULL, -1, -1},
	{"ListShardsInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"ShardFilter", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, ShardFilter_members, -1, -1},
	{"ShardFilterType", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, ShardFilterType_enum, 0, NULL, -1, -1},
	{"ListStreamConsumersInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, ListStreamConsumersInput_members, -1, -1},
	{"ListStreamConsumersInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"ListStreamsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, ListStreamsInput_members, -1, -1},
	{"ListStreamsInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"ListTagsForStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, ListTagsForStreamInput_members, -1, -1},
	{"ListTagsForStreamInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(50), NULL, NULL, 0, NULL, -1, -1},
	{"MergeShardsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, MergeShardsInput_members, -1, -1},
	{"PutRecordInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 6, PutRecordInput_members, -1, -1},
	{"Data", SHAPE_BLOB, true, 0, true, INT64CONST(1048576), NULL, NULL, 0, NULL, -1, -1},
	{"PartitionKey", SHAPE_STRING, true, 1, true, INT64CONST(256), NULL, NULL, 0, NULL, -1, -1},
	{"HashKey", SHAPE_STRING, false, 0, false, INT64CONST(0), "0|([1-9]\\d{0,38})", NULL, 0, NULL, -1, -1},
	{"PutRecordsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, PutRecordsInput_members, -1, -1},
	{"PutRecordsRequestEntryList", SHAPE_LIST, true, 1, true, INT64CONST(500), NULL, NULL, 0, NULL, 53, -1},
	{"PutRecordsRequestEntry", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, PutRecordsRequestEntry_members, -1, -1},
	{"RegisterStreamConsumerInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 2, RegisterStreamConsumerInput_members, -1, -1},
	{"RemoveTagsFromStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, RemoveTagsFromStreamInput_members, -1, -1},
	{"TagKeyList", SHAPE_LIST, true, 1, true, INT64CONST(50), NULL, NULL, 0, NULL, 3, -1},
	{"SplitShardInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, SplitShardInput_members, -1, -1},
	{"StartStreamEncryptionInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, StartStreamEncryptionInput_members, -1, -1},
	{"EncryptionType", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, EncryptionType_enum, 0, NULL, -1, -1},
	{"KeyId", SHAPE_STRING, true, 1, true, INT64CONST(2048), NULL, NULL, 0, NULL, -1, -1},
	{"StopStreamEncryptionInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, StopStreamEncryptionInput_members, -1, -1},
	{"SubscribeToShardInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, SubscribeToShardInput_members, -1, -1},
	{"StartingPosition", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, StartingPosition_members, -1, -1},
	{"UpdateShardCountInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, UpdateShardCountInput_members, -1, -1},
	{"ScalingType", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, ScalingType_enum, 0, NULL, -1, -1},
	{"UpdateStreamModeInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 2, UpdateStreamModeInput_members, -1, -1},
};

const KinesisOperation kinesis_operations[] = {
	{"AddTagsToStream", 0},
	{"CreateStream", 6},
	{"DecreaseStreamRetentionPeriod", 10},
	{"DeleteStream", 12},
	{"DeregisterStreamConsumer", 14},
	{"DescribeLimits", 17},
	{"DescribeStream", 18},
	{"DescribeStreamConsumer", 21},
	{"DescribeStreamSummary", 22},
	{"DisableEnhancedMonitoring", 23},
	{"EnableEnhancedMonitoring", 26},
	{"GetRecords", 27},
	{"GetShardIterator", 30},
	{"IncreaseStreamRetentionPeriod", 34},
	{"ListShards", 35},
	{"ListStreamConsumers", 40},
	{"ListStreams", 42},
	{"ListTagsForStream", 44},
	{"MergeShards", 46},
	{"PutRecord", 47},
	{"PutRecords", 51},
	{"RegisterStreamConsumer", 54},
	{"RemoveTagsFromStream", 55},
	{"SplitShard", 57},
	{"StartStreamEncryption", 58},
	{"StopStreamEncryption", 61},
	{"SubscribeToShard", 62},
	{"UpdateShardCount", 64},
	{"UpdateStreamMode", 66},
};

const int kinesis_noperations = lengthof(kinesis_operations);
