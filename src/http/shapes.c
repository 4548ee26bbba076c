/*-------------------------------------------------------------------------
 *
 * shapes.c
 *	  The shapes of Kinesis' requests, written by tools/kinesis_shapes.py
 *	  from botocore's model of the API (kinesis-2013-12-02).
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
	{"StreamId", 6, false},
};
static const KinesisMember CreateStreamInput_members[] = {
	{"StreamName", 1, true},
	{"ShardCount", 8, false},
	{"StreamModeDetails", 9, false},
	{"Tags", 2, false},
	{"WarmThroughputMiBps", 11, false},
	{"MaxRecordSizeInKiB", 12, false},
};
static const KinesisMember StreamModeDetails_members[] = {
	{"StreamMode", 10, true},
};
static const char *const StreamMode_enum[] = {"PROVISIONED", "ON_DEMAND", NULL};
static const KinesisMember DecreaseStreamRetentionPeriodInput_members[] = {
	{"StreamName", 1, false},
	{"RetentionPeriodHours", 14, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember DeleteResourcePolicyInput_members[] = {
	{"ResourceARN", 16, true},
	{"StreamId", 6, false},
};
static const KinesisMember DeleteStreamInput_members[] = {
	{"StreamName", 1, false},
	{"EnforceConsumerDeletion", 18, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember DeregisterStreamConsumerInput_members[] = {
	{"StreamARN", 5, false},
	{"ConsumerName", 20, false},
	{"ConsumerARN", 21, false},
	{"StreamId", 6, false},
};
static const KinesisMember DescribeStreamInput_members[] = {
	{"StreamName", 1, false},
	{"Limit", 25, false},
	{"ExclusiveStartShardId", 26, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember DescribeStreamConsumerInput_members[] = {
	{"StreamARN", 5, false},
	{"ConsumerName", 20, false},
	{"ConsumerARN", 21, false},
	{"StreamId", 6, false},
};
static const KinesisMember DescribeStreamSummaryInput_members[] = {
	{"StreamName", 1, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember DisableEnhancedMonitoringInput_members[] = {
	{"StreamName", 1, false},
	{"ShardLevelMetrics", 30, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const char *const MetricsName_enum[] = {"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds", "ALL", NULL};
static const KinesisMember EnableEnhancedMonitoringInput_members[] = {
	{"StreamName", 1, false},
	{"ShardLevelMetrics", 30, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember GetRecordsInput_members[] = {
	{"ShardIterator", 34, true},
	{"Limit", 35, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember GetResourcePolicyInput_members[] = {
	{"ResourceARN", 16, true},
	{"StreamId", 6, false},
};
static const KinesisMember GetShardIteratorInput_members[] = {
	{"StreamName", 1, false},
	{"ShardId", 26, true},
	{"ShardIteratorType", 38, true},
	{"StartingSequenceNumber", 39, false},
	{"Timestamp", 40, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const char *const ShardIteratorType_enum[] = {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", NULL};
static const KinesisMember IncreaseStreamRetentionPeriodInput_members[] = {
	{"StreamName", 1, false},
	{"RetentionPeriodHours", 14, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember ListShardsInput_members[] = {
	{"StreamName", 1, false},
	{"NextToken", 43, false},
	{"ExclusiveStartShardId", 26, false},
	{"MaxResults", 44, false},
	{"StreamCreationTimestamp", 40, false},
	{"ShardFilter", 45, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember ShardFilter_members[] = {
	{"Type", 46, true},
	{"ShardId", 26, false},
	{"Timestamp", 40, false},
};
static const char *const ShardFilterType_enum[] = {"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP", NULL};
static const KinesisMember ListStreamConsumersInput_members[] = {
	{"StreamARN", 5, true},
	{"NextToken", 43, false},
	{"MaxResults", 48, false},
	{"StreamCreationTimestamp", 40, false},
	{"StreamId", 6, false},
};
static const KinesisMember ListStreamsInput_members[] = {
	{"Limit", 50, false},
	{"ExclusiveStartStreamName", 1, false},
	{"NextToken", 43, false},
};
static const KinesisMember ListTagsForResourceInput_members[] = {
	{"ResourceARN", 16, true},
	{"StreamId", 6, false},
};
static const KinesisMember ListTagsForStreamInput_members[] = {
	{"StreamName", 1, false},
	{"ExclusiveStartTagKey", 3, false},
	{"Limit", 53, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember MergeShardsInput_members[] = {
	{"StreamName", 1, false},
	{"ShardToMerge", 26, true},
	{"AdjacentShardToMerge", 26, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember PutRecordInput_members[] = {
	{"StreamName", 1, false},
	{"Data", 56, true},
	{"PartitionKey", 57, true},
	{"ExplicitHashKey", 58, false},
	{"SequenceNumberForOrdering", 39, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember PutRecordsInput_members[] = {
	{"Records", 60, true},
	{"StreamName", 1, false},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember PutRecordsRequestEntry_members[] = {
	{"Data", 56, true},
	{"ExplicitHashKey", 58, false},
	{"PartitionKey", 57, true},
};
static const KinesisMember PutResourcePolicyInput_members[] = {
	{"ResourceARN", 16, true},
	{"StreamId", 6, false},
	{"Policy", 63, true},
};
static const KinesisMember RegisterStreamConsumerInput_members[] = {
	{"StreamARN", 5, true},
	{"ConsumerName", 20, true},
	{"StreamId", 6, false},
	{"Tags", 2, false},
};
static const KinesisMember RemoveTagsFromStreamInput_members[] = {
	{"StreamName", 1, false},
	{"TagKeys", 66, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember SplitShardInput_members[] = {
	{"StreamName", 1, false},
	{"ShardToSplit", 26, true},
	{"NewStartingHashKey", 58, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember StartStreamEncryptionInput_members[] = {
	{"StreamName", 1, false},
	{"EncryptionType", 69, true},
	{"KeyId", 70, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const char *const EncryptionType_enum[] = {"NONE", "KMS", NULL};
static const KinesisMember StopStreamEncryptionInput_members[] = {
	{"StreamName", 1, false},
	{"EncryptionType", 69, true},
	{"KeyId", 70, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const KinesisMember SubscribeToShardInput_members[] = {
	{"ConsumerARN", 21, true},
	{"StreamId", 6, false},
	{"ShardId", 26, true},
	{"StartingPosition", 73, true},
};
static const KinesisMember StartingPosition_members[] = {
	{"Type", 38, true},
	{"SequenceNumber", 39, false},
	{"Timestamp", 40, false},
};
static const KinesisMember TagResourceInput_members[] = {
	{"Tags", 2, true},
	{"ResourceARN", 16, true},
	{"StreamId", 6, false},
};
static const KinesisMember UntagResourceInput_members[] = {
	{"TagKeys", 66, true},
	{"ResourceARN", 16, true},
	{"StreamId", 6, false},
};
static const KinesisMember UpdateAccountSettingsInput_members[] = {
	{"MinimumThroughputBillingCommitment", 77, true},
};
static const KinesisMember MinimumThroughputBillingCommitmentInput_members[] = {
	{"Status", 78, true},
};
static const char *const MinimumThroughputBillingCommitmentInputStatus_enum[] = {"ENABLED", "DISABLED", NULL};
static const KinesisMember UpdateMaxRecordSizeInput_members[] = {
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
	{"MaxRecordSizeInKiB", 12, true},
};
static const KinesisMember UpdateShardCountInput_members[] = {
	{"StreamName", 1, false},
	{"TargetShardCount", 8, true},
	{"ScalingType", 81, true},
	{"StreamARN", 5, false},
	{"StreamId", 6, false},
};
static const char *const ScalingType_enum[] = {"UNIFORM_SCALING", NULL};
static const KinesisMember UpdateStreamModeInput_members[] = {
	{"StreamARN", 5, true},
	{"StreamId", 6, false},
	{"StreamModeDetails", 9, true},
	{"WarmThroughputMiBps", 11, false},
};
static const KinesisMember UpdateStreamWarmThroughputInput_members[] = {
	{"StreamARN", 5, false},
	{"StreamName", 1, false},
	{"StreamId", 6, false},
	{"WarmThroughputMiBps", 11, true},
};

const KinesisShape kinesis_shapes[] = {
	{"AddTagsToStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, AddTagsToStreamInput_members, -1, -1},
	{"StreamName", SHAPE_STRING, true, 1, true, INT64CONST(128), "[a-zA-Z0-9_.-]+", NULL, 0, NULL, -1, -1},
	{"TagMap", SHAPE_MAP, true, 1, true, INT64CONST(200), NULL, NULL, 0, NULL, 4, 3},
	{"TagKey", SHAPE_STRING, true, 1, true, INT64CONST(128), NULL, NULL, 0, NULL, -1, -1},
	{"TagValue", SHAPE_STRING, true, 0, true, INT64CONST(256), NULL, NULL, 0, NULL, -1, -1},
	{"StreamARN", SHAPE_STRING, true, 1, true, INT64CONST(2048), "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", NULL, 0, NULL, -1, -1},
	{"StreamId", SHAPE_STRING, true, 1, true, INT64CONST(24), "[a-z0-9]{20}-[a-z0-9]{3}", NULL, 0, NULL, -1, -1},
	{"CreateStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 6, CreateStreamInput_members, -1, -1},
	{"PositiveIntegerObject", SHAPE_INTEGER, true, 1, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"StreamModeDetails", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 1, StreamModeDetails_members, -1, -1},
	{"StreamMode", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, StreamMode_enum, 0, NULL, -1, -1},
	{"NaturalIntegerObject", SHAPE_INTEGER, true, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"MaxRecordSizeInKiB", SHAPE_INTEGER, true, 1024, true, INT64CONST(10240), NULL, NULL, 0, NULL, -1, -1},
	{"DecreaseStreamRetentionPeriodInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, DecreaseStreamRetentionPeriodInput_members, -1, -1},
	{"RetentionPeriodHours", SHAPE_INTEGER, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"DeleteResourcePolicyInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 2, DeleteResourcePolicyInput_members, -1, -1},
	{"ResourceARN", SHAPE_STRING, true, 1, true, INT64CONST(2048), "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+", NULL, 0, NULL, -1, -1},
	{"DeleteStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, DeleteStreamInput_members, -1, -1},
	{"BooleanObject", SHAPE_BOOLEAN, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"DeregisterStreamConsumerInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, DeregisterStreamConsumerInput_members, -1, -1},
	{"ConsumerName", SHAPE_STRING, true, 1, true, INT64CONST(128), "[a-zA-Z0-9_.-]+", NULL, 0, NULL, -1, -1},
	{"ConsumerARN", SHAPE_STRING, true, 1, true, INT64CONST(2048), "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+", NULL, 0, NULL, -1, -1},
	{"DescribeAccountSettingsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"DescribeLimitsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"DescribeStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 5, DescribeStreamInput_members, -1, -1},
	{"DescribeStreamInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"ShardId", SHAPE_STRING, true, 1, true, INT64CONST(128), "[a-zA-Z0-9_.-]+", NULL, 0, NULL, -1, -1},
	{"DescribeStreamConsumerInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, DescribeStreamConsumerInput_members, -1, -1},
	{"DescribeStreamSummaryInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, DescribeStreamSummaryInput_members, -1, -1},
	{"DisableEnhancedMonitoringInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, DisableEnhancedMonitoringInput_members, -1, -1},
	{"MetricsNameList", SHAPE_LIST, true, 1, true, INT64CONST(7), NULL, NULL, 0, NULL, 31, -1},
	{"MetricsName", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, MetricsName_enum, 0, NULL, -1, -1},
	{"EnableEnhancedMonitoringInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, EnableEnhancedMonitoringInput_members, -1, -1},
	{"GetRecordsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, GetRecordsInput_members, -1, -1},
	{"ShardIterator", SHAPE_STRING, true, 1, true, INT64CONST(512), NULL, NULL, 0, NULL, -1, -1},
	{"GetRecordsInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"GetResourcePolicyInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 2, GetResourcePolicyInput_members, -1, -1},
	{"GetShardIteratorInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 7, GetShardIteratorInput_members, -1, -1},
	{"ShardIteratorType", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, ShardIteratorType_enum, 0, NULL, -1, -1},
	{"SequenceNumber", SHAPE_STRING, false, 0, false, INT64CONST(0), "0|([1-9]\\d{0,128})", NULL, 0, NULL, -1, -1},
	{"Timestamp", SHAPE_TIMESTAMP, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"IncreaseStreamRetentionPeriodInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, IncreaseStreamRetentionPeriodInput_members, -1, -1},
	{"ListShardsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 8, ListShardsInput_members, -1, -1},
	{"NextToken", SHAPE_STRING, true, 1, true, INT64CONST(1048576), NULL, NULL, 0, NULL, -1, -1},
	{"ListShardsInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"ShardFilter", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, ShardFilter_members, -1, -1},
	{"ShardFilterType", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, ShardFilterType_enum, 0, NULL, -1, -1},
	{"ListStreamConsumersInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 5, ListStreamConsumersInput_members, -1, -1},
	{"ListStreamConsumersInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"ListStreamsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, ListStreamsInput_members, -1, -1},
	{"ListStreamsInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(10000), NULL, NULL, 0, NULL, -1, -1},
	{"ListTagsForResourceInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 2, ListTagsForResourceInput_members, -1, -1},
	{"ListTagsForStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 5, ListTagsForStreamInput_members, -1, -1},
	{"ListTagsForStreamInputLimit", SHAPE_INTEGER, true, 1, true, INT64CONST(50), NULL, NULL, 0, NULL, -1, -1},
	{"MergeShardsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 5, MergeShardsInput_members, -1, -1},
	{"PutRecordInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 7, PutRecordInput_members, -1, -1},
	{"Data", SHAPE_BLOB, true, 0, true, INT64CONST(10485760), NULL, NULL, 0, NULL, -1, -1},
	{"PartitionKey", SHAPE_STRING, true, 1, true, INT64CONST(256), NULL, NULL, 0, NULL, -1, -1},
	{"HashKey", SHAPE_STRING, false, 0, false, INT64CONST(0), "0|([1-9]\\d{0,38})", NULL, 0, NULL, -1, -1},
	{"PutRecordsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, PutRecordsInput_members, -1, -1},
	{"PutRecordsRequestEntryList", SHAPE_LIST, true, 1, true, INT64CONST(500), NULL, NULL, 0, NULL, 61, -1},
	{"PutRecordsRequestEntry", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, PutRecordsRequestEntry_members, -1, -1},
	{"PutResourcePolicyInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, PutResourcePolicyInput_members, -1, -1},
	{"Policy", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, NULL, 0, NULL, -1, -1},
	{"RegisterStreamConsumerInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, RegisterStreamConsumerInput_members, -1, -1},
	{"RemoveTagsFromStreamInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, RemoveTagsFromStreamInput_members, -1, -1},
	{"TagKeyList", SHAPE_LIST, true, 1, true, INT64CONST(50), NULL, NULL, 0, NULL, 3, -1},
	{"SplitShardInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 5, SplitShardInput_members, -1, -1},
	{"StartStreamEncryptionInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 5, StartStreamEncryptionInput_members, -1, -1},
	{"EncryptionType", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, EncryptionType_enum, 0, NULL, -1, -1},
	{"KeyId", SHAPE_STRING, true, 1, true, INT64CONST(2048), NULL, NULL, 0, NULL, -1, -1},
	{"StopStreamEncryptionInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 5, StopStreamEncryptionInput_members, -1, -1},
	{"SubscribeToShardInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, SubscribeToShardInput_members, -1, -1},
	{"StartingPosition", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, StartingPosition_members, -1, -1},
	{"TagResourceInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, TagResourceInput_members, -1, -1},
	{"UntagResourceInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, UntagResourceInput_members, -1, -1},
	{"UpdateAccountSettingsInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 1, UpdateAccountSettingsInput_members, -1, -1},
	{"MinimumThroughputBillingCommitmentInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 1, MinimumThroughputBillingCommitmentInput_members, -1, -1},
	{"MinimumThroughputBillingCommitmentInputStatus", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, MinimumThroughputBillingCommitmentInputStatus_enum, 0, NULL, -1, -1},
	{"UpdateMaxRecordSizeInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 3, UpdateMaxRecordSizeInput_members, -1, -1},
	{"UpdateShardCountInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 5, UpdateShardCountInput_members, -1, -1},
	{"ScalingType", SHAPE_STRING, false, 0, false, INT64CONST(0), NULL, ScalingType_enum, 0, NULL, -1, -1},
	{"UpdateStreamModeInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, UpdateStreamModeInput_members, -1, -1},
	{"UpdateStreamWarmThroughputInput", SHAPE_STRUCTURE, false, 0, false, INT64CONST(0), NULL, NULL, 4, UpdateStreamWarmThroughputInput_members, -1, -1},
};

const KinesisOperation kinesis_operations[] = {
	{"AddTagsToStream", 0},
	{"CreateStream", 7},
	{"DecreaseStreamRetentionPeriod", 13},
	{"DeleteResourcePolicy", 15},
	{"DeleteStream", 17},
	{"DeregisterStreamConsumer", 19},
	{"DescribeAccountSettings", 22},
	{"DescribeLimits", 23},
	{"DescribeStream", 24},
	{"DescribeStreamConsumer", 27},
	{"DescribeStreamSummary", 28},
	{"DisableEnhancedMonitoring", 29},
	{"EnableEnhancedMonitoring", 32},
	{"GetRecords", 33},
	{"GetResourcePolicy", 36},
	{"GetShardIterator", 37},
	{"IncreaseStreamRetentionPeriod", 41},
	{"ListShards", 42},
	{"ListStreamConsumers", 47},
	{"ListStreams", 49},
	{"ListTagsForResource", 51},
	{"ListTagsForStream", 52},
	{"MergeShards", 54},
	{"PutRecord", 55},
	{"PutRecords", 59},
	{"PutResourcePolicy", 62},
	{"RegisterStreamConsumer", 64},
	{"RemoveTagsFromStream", 65},
	{"SplitShard", 67},
	{"StartStreamEncryption", 68},
	{"StopStreamEncryption", 71},
	{"SubscribeToShard", 72},
	{"TagResource", 74},
	{"UntagResource", 75},
	{"UpdateAccountSettings", 76},
	{"UpdateMaxRecordSize", 79},
	{"UpdateShardCount", 80},
	{"UpdateStreamMode", 82},
	{"UpdateStreamWarmThroughput", 83},
};

const int kinesis_noperations = lengthof(kinesis_operations);
