import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedRequest, tolerantServiceDefinition } from '../../../services/grpc/decoding';
import { serviceDefinition } from '../../../services/grpc/protos';
import { loadPackageDefinition, loadProtoRoot, SERVICE_NAMES } from '../../../services/inference/grpc/protos';

const definition = loadPackageDefinition();
const root = loadProtoRoot();
const services = (name: string) => ({
  loader: serviceDefinition(definition, name),
  tolerant: tolerantServiceDefinition(serviceDefinition(definition, name), root.lookupService(name)),
});
const encode = (type: string, message: object) => {
  const t = root.lookupType(type);
  return Buffer.from(t.encode(t.fromObject(message)).finish());
};

describe('tolerant request decoding', () => {
  it('gives handlers the same plain objects as the proto-loader deserializer', () => {
    const oip = services(SERVICE_NAMES.oip);
    const infer = encode('inference.ModelInferRequest', {
      model_name: 'm',
      id: 'x',
      parameters: { p: { int64_param: '9007199254740993' } },
      inputs: [
        { name: 'input_ids', datatype: 'INT64', shape: ['1', '3'], contents: { int64_contents: ['5'] } },
      ],
      outputs: [{ name: 'logits' }],
      raw_input_contents: [Buffer.from([1, 2, 3])],
    });
    assert.deepStrictEqual(
      oip.tolerant.ModelInfer!.requestDeserialize(infer),
      oip.loader.ModelInfer!.requestDeserialize(infer),
    );
    const classify = services(SERVICE_NAMES.classify);
    const text = encode('efficientbert.v1.ClassifyRequest', {
      model_name: 'm',
      inputs: [{ text: 'héllo 🙂', text_pair: 'b' }, { text: 'a' }],
      truncation: 'REJECT',
    });
    assert.deepStrictEqual(
      classify.tolerant.Classify!.requestDeserialize(text),
      classify.loader.Classify!.requestDeserialize(text),
    );
  });

  it('returns a MalformedRequest instead of throwing, also where protobufjs 7 is lenient', () => {
    const { tolerant } = services(SERVICE_NAMES.oip);
    const bad = tolerant.ModelInfer!.requestDeserialize(Buffer.from([0x0f]));
    assert.ok(bad instanceof MalformedRequest);
    assert.equal(bad.messageName, 'inference.ModelInferRequest');
    assert.match(
      bad.error().message,
      /^request is not a valid inference\.ModelInferRequest: invalid wire type 7/,
    );
    // A string announced as 100 bytes with 2 sent: proto-loader's decoder returns model_name 'ab'.
    const truncated = tolerant.ModelInfer!.requestDeserialize(Buffer.from([0x0a, 100, 0x61, 0x62]));
    assert.ok(truncated instanceof MalformedRequest);
    assert.match(truncated.reason, /index out of range/);
  });

  it('names the field holding invalid UTF-8', () => {
    const { tolerant } = services(SERVICE_NAMES.classify);
    const bytes = encode('efficientbert.v1.ClassifyRequest', { inputs: [{ text: 'ok' }, { text: 'xAx' }] });
    bytes[bytes.indexOf(0x41)] = 0xc3; // a lead byte followed by 'x': not UTF-8
    const bad = tolerant.Classify!.requestDeserialize(bytes);
    assert.ok(bad instanceof MalformedRequest);
    assert.equal(bad.reason, 'inputs[1].text: not valid UTF-8');
  });
});
