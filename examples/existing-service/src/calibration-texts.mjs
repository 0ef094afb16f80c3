// A few labelled texts the host wrote itself, to fit the ensemble's temperature and to serve as
// the drift reference. A real service uses a few hundred rows of its own traffic.
export const LABELLED = [
  ['I am furious that my order was cancelled again', 'anger'],
  ['This makes me so angry, nobody answers my emails', 'anger'],
  ['That is disgusting, the food was rotten', 'disgust'],
  ['Gross, there was hair in my soup', 'disgust'],
  ['I am scared the package will never arrive', 'fear'],
  ['I am terrified of what happens next', 'fear'],
  ['I love it, thank you so much!', 'joy'],
  ['Great service, I am very happy with it', 'joy'],
  ['The parcel was delivered on Tuesday', 'neutral'],
  ['I changed my address in the settings', 'neutral'],
  ['I am so sad that the shop is closing', 'sadness'],
  ['I miss the old version, this makes me unhappy', 'sadness'],
  ['Wow, I did not expect that at all', 'surprise'],
  ['What? It arrived a week early!', 'surprise'],
];
