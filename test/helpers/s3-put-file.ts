/** Child process for the mid-upload kill test: stores one file in the store named by argv. */
import { openArtifactStore } from '../../efficientbert/artifacts';

const [location, file] = process.argv.slice(2);
openArtifactStore(location!)
  .putFile(file!)
  .then((ref) => console.log(ref));
